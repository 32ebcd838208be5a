"""Records' queries and writes of school years, classes, student groups, placements and student lists."""

import uuid
from datetime import date

from sqlalchemy import and_, delete, func, literal, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.common.repository import TenantRepository
from services.records.adapters.orm import (
    Placement,
    SchoolClass,
    SchoolYear,
    Student,
    StudentGroup,
    StudentGroupMember,
)
from services.records.domain.school import StudentKey


class SchoolQueries(TenantRepository):
    # --- school years, classes, student groups, placements ------------------------------------------------

    async def insert_or_skip(self, row) -> bool:
        """Insert unless a unique or exclusion constraint already holds such a row (race-free)."""
        self._check_tenant(row)
        model = type(row)
        values = {
            c.name: getattr(row, c.key) for c in model.__table__.columns if getattr(row, c.key) is not None
        }
        statement = pg_insert(model).values(values).on_conflict_do_nothing()
        inserted = await self.session.execute(statement.returning(literal(1)))
        return inserted.first() is not None

    async def school_year(self, school_year_id: uuid.UUID) -> SchoolYear:
        return await self.one(SchoolYear, school_year_id, what="school year", field="school_year_id")

    async def school_years(self) -> list[SchoolYear]:
        """Newest first."""
        return await self.all(self.select_of(SchoolYear).order_by(SchoolYear.starts_on.desc()))

    async def school_year_on(self, day: date) -> SchoolYear | None:
        """The school year containing the day (school years never overlap)."""
        query = self.select_of(SchoolYear).where(SchoolYear.starts_on <= day, SchoolYear.ends_on >= day)
        return await self.session.scalar(query)

    async def school_year_named(self, name: str) -> SchoolYear | None:
        return await self.session.scalar(self.select_of(SchoolYear).where(SchoolYear.name == name))

    async def school_year_overlapping(self, starts_on: date, ends_on: date) -> SchoolYear | None:
        query = self.select_of(SchoolYear).where(
            SchoolYear.starts_on <= ends_on, SchoolYear.ends_on >= starts_on
        )
        return await self.session.scalar(query.order_by(SchoolYear.starts_on))

    async def school_class(self, class_id: uuid.UUID) -> SchoolClass:
        return await self.one(SchoolClass, class_id, what="class", field="class_id")

    async def classes(self, unit_id: uuid.UUID | None, school_year_id: uuid.UUID | None) -> list[SchoolClass]:
        """The classes, newest school year first, then by unit and name."""
        query = self.scoped(
            select(SchoolClass).join(
                SchoolYear,
                and_(SchoolYear.org_id == SchoolClass.org_id, SchoolYear.id == SchoolClass.school_year_id),
            ),
            SchoolClass,
        )
        if unit_id:
            query = query.where(SchoolClass.unit_id == unit_id)
        if school_year_id:
            query = query.where(SchoolClass.school_year_id == school_year_id)
        return await self.all(
            query.order_by(SchoolYear.starts_on.desc(), SchoolClass.unit_id, SchoolClass.name)
        )

    async def class_named(
        self, unit_id: uuid.UUID, school_year_id: uuid.UUID, name: str
    ) -> SchoolClass | None:
        query = self.select_of(SchoolClass).where(
            SchoolClass.unit_id == unit_id,
            SchoolClass.school_year_id == school_year_id,
            SchoolClass.name == name,
        )
        return await self.session.scalar(query)

    async def student_group(self, group_id: uuid.UUID) -> StudentGroup:
        return await self.one(StudentGroup, group_id, what="student group", field="group_id")

    async def student_groups(self, unit_id: uuid.UUID | None) -> list[StudentGroup]:
        query = self.select_of(StudentGroup)
        if unit_id:
            query = query.where(StudentGroup.unit_id == unit_id)
        return await self.all(query.order_by(StudentGroup.name, StudentGroup.id))

    async def group_members(self, group_id: uuid.UUID) -> list[Student]:
        """The group's students, by last name, first name."""
        query = self.scoped(
            select(Student).join(
                StudentGroupMember,
                and_(
                    StudentGroupMember.org_id == Student.org_id, StudentGroupMember.student_id == Student.id
                ),
            ),
            Student,
        ).where(StudentGroupMember.group_id == group_id)
        return await self.all(query.order_by(Student.last_name, Student.first_name, Student.id))

    async def remove_group_member(self, group_id: uuid.UUID, student_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(StudentGroupMember).where(
                StudentGroupMember.org_id == self.org_id,
                StudentGroupMember.group_id == group_id,
                StudentGroupMember.student_id == student_id,
            )
        )

    async def placements_of(
        self, student_id: uuid.UUID
    ) -> list[tuple[Placement, SchoolYear, SchoolClass | None]]:
        """The student's placements with their school years and classes, newest school year first."""
        query = (
            self.scoped(select(Placement, SchoolYear, SchoolClass), Placement)
            .join(
                SchoolYear,
                and_(SchoolYear.org_id == Placement.org_id, SchoolYear.id == Placement.school_year_id),
            )
            .outerjoin(
                SchoolClass,
                and_(SchoolClass.org_id == Placement.org_id, SchoolClass.id == Placement.class_id),
            )
            .where(Placement.student_id == student_id)
            .order_by(SchoolYear.starts_on.desc())
        )
        return [tuple(row) for row in await self.session.execute(query)]

    async def place(self, placement: Placement) -> None:
        """Set the student's class and grade in the school year (insert or replace)."""
        self._check_tenant(placement)
        statement = pg_insert(Placement).values(
            org_id=placement.org_id,
            student_id=placement.student_id,
            school_year_id=placement.school_year_id,
            class_id=placement.class_id,
            grade=placement.grade,
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[Placement.student_id, Placement.school_year_id],
                set_={
                    "class_id": statement.excluded.class_id,
                    "grade": statement.excluded.grade,
                    "updated_at": func.now(),
                },
            )
        )

    async def unplace(self, student_id: uuid.UUID, school_year_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(Placement).where(
                Placement.org_id == self.org_id,
                Placement.student_id == student_id,
                Placement.school_year_id == school_year_id,
            )
        )

    async def unit_students(
        self,
        unit_id: uuid.UUID,
        *,
        school_year_id: uuid.UUID | None,
        class_id: uuid.UUID | None,
        name: str | None,
        archived: bool,
        after: StudentKey | None,
        limit: int,
    ) -> list[tuple[Student, SchoolClass | None, int | None]]:
        """A page of the unit's students with their class and grade in the school year, in list order."""
        placed = and_(
            Placement.org_id == Student.org_id,
            Placement.student_id == Student.id,
            Placement.school_year_id == school_year_id,
        )
        query = (
            self.scoped(select(Student, SchoolClass, Placement.grade), Student)
            .outerjoin(Placement, placed)
            .outerjoin(
                SchoolClass,
                and_(SchoolClass.org_id == Placement.org_id, SchoolClass.id == Placement.class_id),
            )
            .where(Student.unit_id == unit_id, Student.archived == archived)
        )
        if class_id:
            query = query.where(Placement.class_id == class_id)
        if name:
            query = query.where(
                or_(
                    Student.first_name.icontains(name, autoescape=True),
                    Student.last_name.icontains(name, autoescape=True),
                )
            )
        if after:
            query = query.where(
                tuple_(Student.last_name, Student.first_name, Student.id)
                > tuple_(literal(after.last_name), literal(after.first_name), literal(after.id))
            )
        query = query.order_by(Student.last_name, Student.first_name, Student.id).limit(limit)
        return [tuple(row) for row in await self.session.execute(query)]
