"""The shared kit every service is built from: settings, db, outbox, consumer, grpc, telemetry, auth, errors."""
