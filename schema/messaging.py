"""Messages between families and teachers, and class teachers' notices to families.

Threads live in each region's system (the ЭлЖур-style region carries them); a region
whose system has no messaging answers ``NOT_SUPPORTED`` when asked by name and is left out
of the viewer's list otherwise. Whom one may write to is the region's answer
(``Viewer.correspondents``): a parent, their children's teachers, class teachers and school
admins; a teacher, the families of the classes they teach. The region's system refuses
anyone else (``FORBIDDEN``). Attachments are links (``https://``), never uploads.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from adapters import AdapterError, Attachment, Capability
from adapters import ClassNotice as ClassNoticeModel
from adapters import Correspondent as CorrespondentModel
from adapters import Message as MessageModel
from adapters import MessageThread as MessageThreadModel

from .context import Info
from .errors import ErrorCode, coded_error
from .ids import encode_id
from .relay import PageInfo, page
from .writes import IdempotencyKey, capable_adapter, capable_id, write_once

if TYPE_CHECKING:
    from .students import Student

__all__ = [
    "AttachmentLinkInput",
    "ClassNotice",
    "Correspondent",
    "CorrespondentRole",
    "MarkMessagesReadPayload",
    "Message",
    "MessageAttachment",
    "MessageConnection",
    "MessageThread",
    "MessageThreadConnection",
    "SendMessagePayload",
    "class_notices_of",
    "correspondents",
    "mark_messages_read",
    "message_threads",
    "send_message",
]

_MAX_TEXT = 5000
_MAX_SUBJECT = 200
_MAX_ATTACHMENTS = 10


@strawberry.enum(description="What a correspondent is to the viewer.")
class CorrespondentRole(enum.Enum):
    TEACHER = strawberry.enum_value("teacher", description="A teacher of the viewer's child.")
    CLASS_TEACHER = strawberry.enum_value("class_teacher", description="A class teacher.")
    ADMIN = strawberry.enum_value("admin", description="A school admin.")
    PARENT = strawberry.enum_value("parent", description="A parent (for staff viewers).")
    OTHER = strawberry.enum_value("other", description="Anyone else the region lists.")


@strawberry.type(description="Someone a message can go to or come from.")
class Correspondent:
    id: strawberry.ID = strawberry.field(description="Opaque id (`sendMessage(to:)`).")
    name: str = strawberry.field(description="Full name.")
    role: CorrespondentRole = strawberry.field(description="What they are to the viewer.")
    subjects: list[str] = strawberry.field(
        description="The subjects they teach the viewer's children, where the region says."
    )

    @classmethod
    def from_model(cls, model: CorrespondentModel, region: str) -> Correspondent:
        try:
            role = CorrespondentRole(model.role)
        except ValueError:
            role = CorrespondentRole.OTHER
        return cls(
            id=strawberry.ID(encode_id("Correspondent", region, model.id)),
            name=model.person.full_name,
            role=role,
            subjects=list(model.subject_names),
        )


@strawberry.type(description="A file linked from a message or notice.")
class MessageAttachment:
    name: str = strawberry.field(description="The file's name.")
    url: str | None = strawberry.field(description="Where to download it.")

    @classmethod
    def from_model(cls, model: Attachment) -> MessageAttachment:
        return cls(name=model.name, url=model.url)


@strawberry.input(description="A link to a file, attached to a message.")
class AttachmentLinkInput:
    name: str = strawberry.field(description="The file's name (up to 200 characters).")
    url: str = strawberry.field(description="An https:// link to it.")


@strawberry.type(description="One message of a thread.")
class Message:
    id: strawberry.ID = strawberry.field(description="Opaque id (`markMessagesRead`).")
    sent_at: datetime = strawberry.field(description="When it was sent (region's offset).")
    text: str = strawberry.field(description="The message.")
    author: Correspondent = strawberry.field(description="Who wrote it.")
    attachments: list[MessageAttachment] = strawberry.field(description="Linked files.")
    is_own: bool = strawberry.field(description="Whether the viewer wrote it.")
    is_read: bool = strawberry.field(
        description="Whether the viewer has read it (their own messages count as read)."
    )
    read_at: datetime | None = strawberry.field(
        description="For the viewer's own messages: when every recipient had read it (read "
        "receipt); null while someone has not."
    )
    read_by_count: int = strawberry.field(
        description="For the viewer's own messages: how many recipients have read it."
    )

    @classmethod
    def from_model(cls, model: MessageModel, region: str) -> Message:
        return cls(
            id=strawberry.ID(encode_id("Message", region, f"{model.thread_id}/{model.id}")),
            sent_at=model.sent_at,
            text=model.text,
            author=Correspondent.from_model(model.author, region),
            attachments=[MessageAttachment.from_model(a) for a in model.attachments],
            is_own=model.is_own,
            is_read=model.is_read,
            read_at=model.read_at,
            read_by_count=len(model.read_by),
        )


@strawberry.type(description="A message and its cursor.")
class MessageEdge:
    cursor: str = strawberry.field(description="Cursor of this message.")
    node: Message = strawberry.field(description="The message.")


@strawberry.type(description="A page of a thread's messages, oldest first.")
class MessageConnection:
    edges: list[MessageEdge] = strawberry.field(description="The messages of this page.")
    nodes: list[Message] = strawberry.field(description="The messages (the edges' nodes).")
    page_info: PageInfo = strawberry.field(description="Paging information.")
    total_count: int = strawberry.field(description="Messages in the thread.")


@strawberry.type(description="A conversation between a family and a teacher.")
class MessageThread:
    region_code: strawberry.Private[str]
    native_id: strawberry.Private[str]
    id: strawberry.ID = strawberry.field(description="Opaque id (`sendMessage(threadId:)`).")
    subject: str = strawberry.field(description="The thread's subject line.")
    participants: list[Correspondent] = strawberry.field(description="Who takes part.")
    last_message_at: datetime = strawberry.field(description="When the latest message came.")
    unread_count: int = strawberry.field(description="Messages the viewer has not read.")

    @classmethod
    def from_model(cls, model: MessageThreadModel, region: str) -> MessageThread:
        return cls(
            region_code=region,
            native_id=model.id,
            id=strawberry.ID(encode_id("MessageThread", region, model.id)),
            subject=model.subject,
            participants=[Correspondent.from_model(p, region) for p in model.participants],
            last_message_at=model.last_message_at,
            unread_count=model.unread,
        )

    @strawberry.field(
        description="The thread's messages, oldest first (reading them does not mark them "
        "read: see `markMessagesRead`)."
    )
    async def messages(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 50,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor to continue after.")
        ] = None,
    ) -> MessageConnection | None:
        info.context.cacheable = False  # read receipts change without any write of the viewer
        adapter = info.context.registry[self.region_code]
        caller = info.context.require_caller()
        try:
            models = await adapter.get_messages(caller, self.native_id)
        except AdapterError as exc:
            raise await info.context.adapter_error(exc, region=self.region_code) from exc
        chosen, page_info = page(
            models, first=first, after=after, max_page=info.context.limits.max_page
        )
        edges = [
            MessageEdge(cursor=cursor, node=Message.from_model(m, self.region_code))
            for cursor, m in chosen
        ]
        return MessageConnection(
            edges=edges,
            nodes=[e.node for e in edges],
            page_info=page_info,
            total_count=len(models),
        )


@strawberry.type(description="A thread and its cursor.")
class MessageThreadEdge:
    cursor: str = strawberry.field(description="Cursor of this thread.")
    node: MessageThread = strawberry.field(description="The thread.")


@strawberry.type(description="A page of the viewer's threads, the latest message first.")
class MessageThreadConnection:
    edges: list[MessageThreadEdge] = strawberry.field(description="The threads of this page.")
    nodes: list[MessageThread] = strawberry.field(description="The threads (edges' nodes).")
    page_info: PageInfo = strawberry.field(description="Paging information.")
    total_count: int = strawberry.field(description="The viewer's threads in all.")


@strawberry.type(description="A class teacher's notice to every family of the class.")
class ClassNotice:
    id: strawberry.ID = strawberry.field(description="Opaque id.")
    title: str = strawberry.field(description="The notice's title.")
    text: str = strawberry.field(description="The notice.")
    posted_at: datetime = strawberry.field(description="When it was posted (region's offset).")
    author: Correspondent = strawberry.field(description="Who posted it.")
    attachments: list[MessageAttachment] = strawberry.field(description="Linked files.")

    @classmethod
    def from_model(cls, model: ClassNoticeModel, region: str, student_id: str) -> ClassNotice:
        return cls(
            id=strawberry.ID(encode_id("ClassNotice", region, f"{student_id}/{model.id}")),
            title=model.title,
            text=model.text,
            posted_at=model.posted_at,
            author=Correspondent.from_model(model.author, region),
            attachments=[MessageAttachment.from_model(a) for a in model.attachments],
        )


@strawberry.type(description="The result of sending a message.")
class SendMessagePayload:
    message: Message = strawberry.field(description="The message as sent.")
    thread_id: strawberry.ID = strawberry.field(description="Its thread (new or replied to).")


@strawberry.type(description="The result of marking messages read.")
class MarkMessagesReadPayload:
    message_ids: list[strawberry.ID] = strawberry.field(description="The messages now read.")


# -- reads ----------------------------------------------------------------------------


def _messaging_regions(info: Info, region: str | None) -> list[str]:
    if region is not None:
        capable_adapter(info, region, Capability.MESSAGES, "messages")
        return [region]
    registry = info.context.registry
    return [
        r for r in info.context.regions_for_viewer() if registry[r].supports(Capability.MESSAGES)
    ]


async def message_threads(
    info: Info, region: str | None, first: int, after: str | None
) -> MessageThreadConnection:
    """The viewer's threads in ``region`` (or every region with messaging that knows them),
    the latest message first."""
    from .api import profile_in

    info.context.cacheable = False
    caller = info.context.require_caller()
    threads: list[MessageThread] = []
    for code in _messaging_regions(info, region):
        if await profile_in(info, code) is None:
            continue  # the region's system does not know the viewer
        adapter = info.context.registry[code]
        try:
            models = await adapter.list_message_threads(caller)
        except AdapterError as exc:
            raise await info.context.adapter_error(exc, region=code) from exc
        threads.extend(MessageThread.from_model(m, code) for m in models)
    threads.sort(key=lambda t: t.last_message_at, reverse=True)
    chosen, page_info = page(
        threads, first=first, after=after, max_page=info.context.limits.max_page
    )
    edges = [MessageThreadEdge(cursor=c, node=t) for c, t in chosen]
    return MessageThreadConnection(
        edges=edges, nodes=[e.node for e in edges], page_info=page_info, total_count=len(threads)
    )


async def correspondents(info: Info, region: str) -> list[Correspondent]:
    """Whom the viewer may write to in ``region`` (nobody where its system does not know
    them)."""
    from .api import profile_in

    adapter = capable_adapter(info, region, Capability.MESSAGES, "messages")
    caller = info.context.require_caller()
    if await profile_in(info, region) is None:
        return []
    try:
        models = await adapter.list_correspondents(caller)
    except AdapterError as exc:
        raise await info.context.adapter_error(exc, region=region) from exc
    return [Correspondent.from_model(m, region) for m in models]


async def class_notices_of(info: Info, student: Student) -> list[ClassNotice]:
    """The notices of ``student``'s class (the policy was checked by the caller)."""
    region = student.region_code
    capable_adapter(info, region, Capability.CLASS_NOTICES, "class notices")
    notices = await info.context.loaders.class_notices.load((region, student.model.id))
    return [ClassNotice.from_model(n, region, student.model.id) for n in notices]


# -- writes ---------------------------------------------------------------------------


def _attachments(given: list[AttachmentLinkInput] | None) -> tuple[Attachment, ...]:
    links = given or []
    if len(links) > _MAX_ATTACHMENTS:
        raise coded_error(ErrorCode.BAD_USER_INPUT, "up to 10 attachments", argument="attachments")
    for link in links:
        if not link.url.startswith("https://") or len(link.url) > 2000:
            raise coded_error(
                ErrorCode.BAD_USER_INPUT,
                "attachments are https:// links (up to 2000 characters)",
                argument="attachments",
            )
        if not link.name.strip() or len(link.name) > 200:
            raise coded_error(
                ErrorCode.BAD_USER_INPUT,
                "an attachment's name: 1 to 200 characters",
                argument="attachments",
            )
    return tuple(Attachment(name=a.name.strip(), url=a.url) for a in links)


async def send_message(
    info: Info,
    text: Annotated[str, strawberry.argument(description="The message (up to 5000 characters).")],
    idempotency_key: IdempotencyKey,
    to: Annotated[
        strawberry.ID | None,
        strawberry.argument(description="A new thread to this correspondent (or `threadId`)."),
    ] = None,
    thread_id: Annotated[
        strawberry.ID | None,
        strawberry.argument(description="A reply in this thread (or `to`)."),
    ] = None,
    subject: Annotated[
        str | None, strawberry.argument(description="A new thread's subject line.")
    ] = None,
    attachments: Annotated[
        list[AttachmentLinkInput] | None,
        strawberry.argument(description="Links to files (up to 10)."),
    ] = None,
) -> SendMessagePayload | None:

    if (to is None) == (thread_id is None):
        raise coded_error(ErrorCode.BAD_USER_INPUT, "give either `to` or `threadId`")
    body = text.strip()
    if not body or len(body) > _MAX_TEXT:
        raise coded_error(ErrorCode.BAD_USER_INPUT, "text: 1 to 5000 characters", argument="text")
    title = (subject or "").strip() or None
    if title is not None and len(title) > _MAX_SUBJECT:
        raise coded_error(
            ErrorCode.BAD_USER_INPUT, "subject: up to 200 characters", argument="subject"
        )
    links = _attachments(attachments)
    target, adapter = capable_id(
        info,
        to if to is not None else thread_id,  # type: ignore[arg-type]
        expected="Correspondent" if to is not None else "MessageThread",
        capability=Capability.MESSAGES,
        what="messages",
    )
    region = target.region
    caller = info.context.require_caller()
    arguments: dict[str, Any] = {
        "to" if to is not None else "thread": target.native,
        "subject": title,
        "text": body,
        "attachments": [[a.name, a.url] for a in links],
    }
    model = await write_once(
        info,
        region=region,
        operation="sendMessage",
        key=idempotency_key,
        arguments=arguments,
        write=lambda: adapter.send_message(
            caller,
            text=body,
            idempotency_key=idempotency_key,
            to=target.native if to is not None else None,
            thread_id=target.native if thread_id is not None else None,
            subject=title,
            attachments=links,
        ),
    )
    return SendMessagePayload(
        message=Message.from_model(model, region),
        thread_id=strawberry.ID(encode_id("MessageThread", region, model.thread_id)),
    )


async def mark_messages_read(
    info: Info,
    message_ids: Annotated[
        list[strawberry.ID],
        strawberry.argument(description="Messages the viewer received (1–100, one region)."),
    ],
    idempotency_key: IdempotencyKey,
) -> MarkMessagesReadPayload | None:
    if not 1 <= len(message_ids) <= 100:
        raise coded_error(
            ErrorCode.BAD_USER_INPUT, "messageIds: 1 to 100 ids", argument="messageIds"
        )
    checked = [
        capable_id(info, m, expected="Message", capability=Capability.MESSAGES, what="messages")
        for m in message_ids
    ]
    ids = [gid for gid, _ in checked]
    regions = {gid.region for gid in ids}
    if len(regions) != 1:
        raise coded_error(ErrorCode.BAD_USER_INPUT, "messageIds: messages of one region at a time")
    (region,) = regions
    adapter = checked[0][1]
    caller = info.context.require_caller()
    natives = [gid.parts[1] for gid in ids]
    await write_once(
        info,
        region=region,
        operation="markMessagesRead",
        key=idempotency_key,
        arguments={"messages": sorted(gid.native for gid in ids)},
        write=lambda: adapter.mark_messages_read(caller, natives),
    )
    return MarkMessagesReadPayload(message_ids=[strawberry.ID(gid.encode()) for gid in ids])
