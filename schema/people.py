"""People and school structure: persons, teachers, subjects, classes and groups."""

from __future__ import annotations

import strawberry

from adapters import ClassUnit as ClassUnitModel
from adapters import Group as GroupModel
from adapters import Person as PersonModel
from adapters import Subject as SubjectModel
from adapters import Teacher as TeacherModel

from .ids import encode_id

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
class Subject:
    id: strawberry.ID = strawberry.field(description="Opaque id of the subject.")
    name: str = strawberry.field(description="Subject name, e.g. «Алгебра».")

    @classmethod
    def from_model(cls, model: SubjectModel, region: str) -> Subject:
        return cls(id=strawberry.ID(encode_id("Subject", region, model.id)), name=model.name)


@strawberry.type(description="A teacher.")
class Teacher:
    id: strawberry.ID = strawberry.field(description="Opaque id of the teacher.")
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
class ClassUnit:
    id: strawberry.ID = strawberry.field(description="Opaque id of the classunit.")
    name: str = strawberry.field(description="Class name, e.g. «9-А».")
    level: int | None = strawberry.field(description="Year of study (1–11), where known.")
    class_teacher: Teacher | None = strawberry.field(description="The class teacher.")

    @classmethod
    def from_model(cls, model: ClassUnitModel, region: str) -> ClassUnit:
        teacher = model.class_teacher
        return cls(
            id=strawberry.ID(encode_id("ClassUnit", region, model.id)),
            name=model.name,
            level=model.level,
            class_teacher=Teacher.from_model(teacher, region) if teacher else None,
        )


@strawberry.type(description="A subject group of a class: the unit a subject teacher teaches.")
class Group:
    id: strawberry.ID = strawberry.field(description="Opaque id of the group.")
    region_code: strawberry.Private[str]
    native_id: strawberry.Private[str]
    name: str = strawberry.field(description="Group name.")
    subject: Subject = strawberry.field(description="The subject taught.")
    student_count: int = strawberry.field(description="How many students the group has.")

    @classmethod
    def from_model(cls, model: GroupModel, region: str) -> Group:
        return cls(
            id=strawberry.ID(encode_id("Group", region, model.id)),
            region_code=region,
            native_id=model.id,
            name=model.name,
            subject=Subject.from_model(model.subject, region),
            student_count=len(model.student_ids),
        )
