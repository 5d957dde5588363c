"""People and school structure: persons, teachers, subjects, classes and groups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from adapters import ClassUnit as ClassUnitModel
from adapters import Group as GroupModel
from adapters import Person as PersonModel
from adapters import Subject as SubjectModel
from adapters import Teacher as TeacherModel

from .context import Info
from .ids import encode_id
from .relay import Node

if TYPE_CHECKING:
    from .roster import StudentConnection

FIRST = Annotated[int, strawberry.argument(description="Page size (at most the page cap).")]
AFTER = Annotated[str | None, strawberry.argument(description="Cursor to continue after.")]

__all__ = ["ClassUnit", "Group", "Person", "Subject", "Teacher"]


@strawberry.type(description="A named person.")
class Person:
    full_name: str = strawberry.field(description="«Фамилия Имя Отчество».")
    last_name: str = strawberry.field(description="Family name.")
    first_name: str = strawberry.field(description="Given name.")
    middle_name: str | None = strawberry.field(description="Patronymic, where there is one.")

    @classmethod
    def from_model(cls, model: PersonModel) -> Person:
        return cls(
            full_name=model.full_name,
            last_name=model.last_name,
            first_name=model.first_name,
            middle_name=model.middle_name,
        )


@strawberry.type(description="A school subject.")
class Subject(Node):
    name: str = strawberry.field(description="Subject name, e.g. «Алгебра».")

    @classmethod
    def from_model(cls, model: SubjectModel, region: str) -> Subject:
        return cls(id=strawberry.ID(encode_id("Subject", region, model.id)), name=model.name)


@strawberry.type(description="A teacher.")
class Teacher(Node):
    full_name: str = strawberry.field(description="«Фамилия Имя Отчество».")
    subjects: list[str] = strawberry.field(description="Subjects they teach, where known.")

    @classmethod
    def from_model(cls, model: TeacherModel, region: str) -> Teacher:
        return cls(
            id=strawberry.ID(encode_id("Teacher", region, model.id)),
            full_name=model.person.full_name,
            subjects=list(model.subject_names),
        )


@strawberry.type(description="A class of students, such as «9-А».")
class ClassUnit(Node):
    region_code: strawberry.Private[str]
    native_id: strawberry.Private[str]
    name: str = strawberry.field(description="Class name, e.g. «9-А».")
    level: int | None = strawberry.field(description="Year of study (1–11), where known.")
    class_teacher: Teacher | None = strawberry.field(description="The class teacher.")

    @classmethod
    def from_model(cls, model: ClassUnitModel, region: str) -> ClassUnit:
        teacher = model.class_teacher
        return cls(
            id=strawberry.ID(encode_id("ClassUnit", region, model.id)),
            region_code=region,
            native_id=model.id,
            name=model.name,
            level=model.level,
            class_teacher=Teacher.from_model(teacher, region) if teacher else None,
        )

    @strawberry.field(
        description="The class's students the viewer relates to (all of them for its class "
        "teacher and the school's admins; a subject teacher's own groups' students)."
    )
    async def students(
        self, info: Info, first: FIRST = 50, after: AFTER = None
    ) -> Annotated[StudentConnection, strawberry.lazy("schema.roster")]:
        from .roster import student_connection

        return await student_connection(
            info, self.region_code, class_id=self.native_id, first=first, after=after
        )


@strawberry.type(description="A subject group of a class: the unit a subject teacher teaches.")
class Group(Node):
    region_code: strawberry.Private[str]
    native_id: strawberry.Private[str]
    class_unit_id: strawberry.Private[str]
    name: str = strawberry.field(
        description="Group name (often the subject: two «Алгебра» groups differ by `classUnit`)."
    )
    subject: Subject = strawberry.field(description="The subject taught.")
    student_count: int = strawberry.field(description="How many students the group has.")

    @classmethod
    def from_model(cls, model: GroupModel, region: str) -> Group:
        return cls(
            id=strawberry.ID(encode_id("Group", region, model.id)),
            region_code=region,
            native_id=model.id,
            class_unit_id=model.class_unit_id,
            name=model.name,
            subject=Subject.from_model(model.subject, region),
            student_count=len(model.student_ids),
        )

    @strawberry.field(description="The class the group belongs to, where the region lists it.")
    async def class_unit(self, info: Info) -> ClassUnit | None:
        from .roster import class_units

        found = await class_units(info, self.region_code, [self.class_unit_id])
        return found[0] if found else None
