/* eslint-disable */
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = T | null | undefined;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** A calendar day, RFC 3339 `full-date`: `2026-09-01`. */
  Date: { input: string; output: string; }
  /** An instant with its UTC offset, RFC 3339 `date-time`: `2026-09-01T08:30:00+03:00`. */
  DateTime: { input: string; output: string; }
  /** A local time of day without offset, RFC 3339 `partial-time`: `08:30:00`. */
  Time: { input: string; output: string; }
};

/** A missed lesson (one student's). */
export type Absence = Node & {
  __typename?: 'Absence';
  /** The day. */
  date: Scalars['Date']['output'];
  /** Opaque global id; it carries the region. Do not parse it. */
  id: Scalars['ID']['output'];
  /** Whether the absence is excused; null where the region does not say. */
  isExcused?: Maybe<Scalars['Boolean']['output']>;
  /** The reason, as the school recorded it. */
  reason?: Maybe<Scalars['String']['output']>;
};

/** One read of (or refused attempt at) this student's records. */
export type AccessEvent = {
  __typename?: 'AccessEvent';
  /** Which records were read. */
  fields: Array<Scalars['String']['output']>;
  /** False when the read was refused. */
  isAllowed: Scalars['Boolean']['output'];
  /** When. */
  occurredAt: Scalars['DateTime']['output'];
  /** The relationship that allowed the read; null for a refused attempt by someone with no relationship to the student. */
  relation?: Maybe<AccessRelation>;
  /** The reader's role in the region; null for a refused attempt by someone with no role towards the student. */
  role?: Maybe<RoleKind>;
  /** A stable pseudonym of the reader (the same reader, the same pseudonym); never their national id. */
  viewer: Scalars['String']['output'];
};

/** A page of the access log, newest first. */
export type AccessEventConnection = {
  __typename?: 'AccessEventConnection';
  /** The events of this page. */
  edges: Array<AccessEventEdge>;
  /** The events of this page (the edges' nodes). */
  nodes: Array<AccessEvent>;
  /** Paging information. */
  pageInfo: PageInfo;
  /** How many events the log keeps for the student (it is bounded by count and age). */
  totalCount: Scalars['Int']['output'];
};

/** An event of the access log and its cursor. */
export type AccessEventEdge = {
  __typename?: 'AccessEventEdge';
  /** Cursor of this event (stable while newer events arrive). */
  cursor: Scalars['String']['output'];
  /** The event. */
  node: AccessEvent;
};

/** How a reader relates to the student whose records they read. */
export type AccessRelation =
  /** The class teacher of the student's class. */
  | 'CLASS_TEACHER'
  /** A teacher of one of the student's groups. */
  | 'GROUP_TEACHER'
  /** A legal representative (a parent). */
  | 'LEGAL_REPRESENTATIVE'
  /** A parent who is not the legal representative. */
  | 'PARENT'
  /** An administrator of the student's school. */
  | 'SCHOOL_ADMIN'
  /** The student themself. */
  | 'SELF';

/** A file attached to homework. */
export type Attachment = {
  __typename?: 'Attachment';
  /** File name. */
  name: Scalars['String']['output'];
  /** Where to download it, where known. */
  url?: Maybe<Scalars['String']['output']>;
};

/** One lesson slot of the school day. */
export type Bell = {
  __typename?: 'Bell';
  /** Local end time. */
  endsAt: Scalars['Time']['output'];
  /** Lesson number within the day, from 1. */
  number: Scalars['Int']['output'];
  /** Local start time. */
  startsAt: Scalars['Time']['output'];
};

/** A school's lesson times. */
export type BellSchedule = {
  __typename?: 'BellSchedule';
  /** The bells in order. */
  bells: Array<Bell>;
};

/** Something a region's diary system provides. */
export type Capability =
  /** Absences with reasons. */
  | 'ATTENDANCE'
  /** The schools' bell schedules. */
  | 'BELLS'
  /** A feed of changes. */
  | 'CHANGES'
  /** Homework texts and attachments. */
  | 'HOMEWORK'
  /** Marking homework done or not done. */
  | 'HOMEWORK_DONE'
  /** A teacher's journal of a group. */
  | 'JOURNAL'
  /** Marks with comments and weights. */
  | 'MARKS'
  /** Who the caller is, their roles and children. */
  | 'PROFILE'
  /** Per-subject averages and trends. */
  | 'PROGRESS'
  /** Lessons of a student's days. */
  | 'SCHEDULE'
  /** Signing students in with a school login. */
  | 'SCHOOL_LOGIN'
  /** The school year's periods (quarters, trimesters). */
  | 'TERMS';

/** A recent change to a student's diary. */
export type Change = Node & {
  __typename?: 'Change';
  /** The homework, for homework changes, where it can be found. */
  homework?: Maybe<Homework>;
  /** The homework, for homework changes. */
  homeworkText?: Maybe<Scalars['String']['output']>;
  /** Opaque global id; it carries the region. Do not parse it. */
  id: Scalars['ID']['output'];
  /** What happened. */
  kind: ChangeKind;
  /** The student's lesson the change is about, where known. */
  lesson?: Maybe<Lesson>;
  /** Date of the lesson concerned: where the mark was given or the homework set. */
  lessonOn?: Maybe<Scalars['Date']['output']>;
  /** The mark, for mark changes, where it can still be found. */
  mark?: Maybe<Mark>;
  /** The new mark, for mark changes. */
  markValue?: Maybe<Scalars['String']['output']>;
  /** When it happened. */
  occurredAt: Scalars['DateTime']['output'];
  /** The mark before a change. */
  previousMarkValue?: Maybe<Scalars['String']['output']>;
  /** The subject. */
  subjectName: Scalars['String']['output'];
};

/** A page of the changes feed, newest first. */
export type ChangeConnection = {
  __typename?: 'ChangeConnection';
  /** The entries of this page. */
  edges: Array<ChangeEdge>;
  /** The entries of this page (the edges' nodes). */
  nodes: Array<Change>;
  /** Paging information. */
  pageInfo: PageInfo;
  /** How many entries the whole feed has. */
  totalCount: Scalars['Int']['output'];
};

/** An edge of the changes feed. */
export type ChangeEdge = {
  __typename?: 'ChangeEdge';
  /** Cursor of this entry. */
  cursor: Scalars['String']['output'];
  /** The entry. */
  node: Change;
};

/** What happened in a feed entry. */
export type ChangeKind =
  /** New homework. */
  | 'HOMEWORK_CREATED'
  /** Homework changed. */
  | 'HOMEWORK_UPDATED'
  /** A new mark. */
  | 'MARK_CREATED'
  /** A mark was changed. */
  | 'MARK_UPDATED';

/** A class of students, such as «9-А». */
export type ClassUnit = Node & {
  __typename?: 'ClassUnit';
  /** The class teacher. */
  classTeacher?: Maybe<Teacher>;
  /** Opaque global id; it carries the region. Do not parse it. */
  id: Scalars['ID']['output'];
  /** Year of study (1–11), where known. */
  level?: Maybe<Scalars['Int']['output']>;
  /** Class name, e.g. «9-А». */
  name: Scalars['String']['output'];
  /** The class's students the viewer relates to (all of them for its class teacher and the school's admins; a subject teacher's own groups' students). */
  students: StudentConnection;
};


/** A class of students, such as «9-А». */
export type ClassUnitStudentsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: Scalars['Int']['input'];
};

/** A page of classes. */
export type ClassUnitConnection = {
  __typename?: 'ClassUnitConnection';
  /** The classes of this page. */
  edges: Array<ClassUnitEdge>;
  /** The classes of this page (the edges' nodes). */
  nodes: Array<ClassUnit>;
  /** Paging information. */
  pageInfo: PageInfo;
  /** How many classes the whole list has. */
  totalCount: Scalars['Int']['output'];
};

/** A class of a connection and its cursor. */
export type ClassUnitEdge = {
  __typename?: 'ClassUnitEdge';
  /** Cursor of this item. */
  cursor: Scalars['String']['output'];
  /** The class. */
  node: ClassUnit;
};

/** One student's diary over a date range. */
export type Diary = Node & {
  __typename?: 'Diary';
  /** Every day of the range (weekends have no lessons). */
  days: Array<DiaryDay>;
  /** Last day of the range. */
  endsOn: Scalars['Date']['output'];
  /** Opaque global id; it carries the region. Do not parse it. */
  id: Scalars['ID']['output'];
  /** First day of the range. */
  startsOn: Scalars['Date']['output'];
};

/** One day of one student's diary. */
export type DiaryDay = Node & {
  __typename?: 'DiaryDay';
  /** Absences the region recorded for this day but tied to no lesson of it. */
  absencesWithoutLesson: Array<Absence>;
  /** The day. */
  date: Scalars['Date']['output'];
  /** Homework the region gave for this day but tied to no lesson of it (neither by lesson nor by subject): shown here rather than lost. */
  homeworkWithoutLesson: Array<Homework>;
  /** Opaque global id; it carries the region. Do not parse it. */
  id: Scalars['ID']['output'];
  /** The day's lessons in order. */
  lessons: Array<Lesson>;
  /** Marks for this day tied to no lesson of it (they also count in `marks` and `progress`). */
  marksWithoutLesson: Array<Mark>;
};

/** A subject group of a class: the unit a subject teacher teaches. */
export type Group = Node & {
  __typename?: 'Group';
  /** The class the group belongs to, where the region lists it. */
  classUnit?: Maybe<ClassUnit>;
  /** Opaque global id; it carries the region. Do not parse it. */
  id: Scalars['ID']['output'];
  /** Group name (often the subject: two «Алгебра» groups differ by `classUnit`). */
  name: Scalars['String']['output'];
  /** How many students the group has. */
  studentCount: Scalars['Int']['output'];
  /** The subject taught. */
  subject: Subject;
};

/** A page of subject groups. */
export type GroupConnection = {
  __typename?: 'GroupConnection';
  /** The groups of this page. */
  edges: Array<GroupEdge>;
  /** The groups of this page (the edges' nodes). */
  nodes: Array<Group>;
  /** Paging information. */
  pageInfo: PageInfo;
  /** How many groups the whole list has. */
  totalCount: Scalars['Int']['output'];
};

/** A subject group of a connection and its cursor. */
export type GroupEdge = {
  __typename?: 'GroupEdge';
  /** Cursor of this item. */
  cursor: Scalars['String']['output'];
  /** The group. */
  node: Group;
};

/** Homework set for a lesson (one student's: `isDone` is theirs). */
export type Homework = Node & {
  __typename?: 'Homework';
  /** When it was set. */
  assignedOn?: Maybe<Scalars['Date']['output']>;
  /** Attached files. */
  attachments: Array<Attachment>;
  /** When it is due. */
  dueOn: Scalars['Date']['output'];
  /** Opaque global id; it carries the region. Do not parse it. */
  id: Scalars['ID']['output'];
  /** Whether the student marked it done; null where the region does not say. */
  isDone?: Maybe<Scalars['Boolean']['output']>;
  /** The subject. */
  subject: Subject;
  /** What to do. */
  text: Scalars['String']['output'];
};

/** The result of marking homework done or not done. */
export type HomeworkDonePayload = {
  __typename?: 'HomeworkDonePayload';
  /** The homework as it now is. */
  homework: Homework;
};

/** A group's journal over a date range (staff only). */
export type Journal = {
  __typename?: 'Journal';
  /** Last day. */
  endsOn: Scalars['Date']['output'];
  /** The group. */
  group: Group;
  /** The columns, in order. */
  lessons: Array<JournalLesson>;
  /** The rows: only the students the viewer relates to as staff. */
  rows: Array<JournalRow>;
  /** First day. */
  startsOn: Scalars['Date']['output'];
};

/** One student's marks and absence in one lesson. */
export type JournalCell = {
  __typename?: 'JournalCell';
  /** The absence, if any. */
  absence?: Maybe<Absence>;
  /** The lesson (column): the id of its JournalLesson. */
  lessonId: Scalars['ID']['output'];
  /** Marks given in that lesson. */
  marks: Array<Mark>;
};

/** A lesson of the group: a column of the journal (the same for every staff viewer; one student's view of a lesson is a `Lesson`). */
export type JournalLesson = Node & {
  __typename?: 'JournalLesson';
  /** The day. */
  date: Scalars['Date']['output'];
  /** End, with the region's offset. */
  endsAt: Scalars['DateTime']['output'];
  /** Opaque global id; it carries the region. Do not parse it. */
  id: Scalars['ID']['output'];
  /** The lesson does not take place. */
  isCancelled: Scalars['Boolean']['output'];
  /** Lesson number within the day. */
  number: Scalars['Int']['output'];
  /** Room. */
  room?: Maybe<Scalars['String']['output']>;
  /** Start, with the region's offset. */
  startsAt: Scalars['DateTime']['output'];
  /** The lesson's topic. */
  topic?: Maybe<Scalars['String']['output']>;
};

/** One student's row of the journal. */
export type JournalRow = {
  __typename?: 'JournalRow';
  /** One cell per lesson, in order. */
  cells: Array<JournalCell>;
  /** The student. */
  student: Student;
};

/** One lesson of one student's day: its id names the student, so two students' views of the same lesson (their own marks, homework and absence) never share a cache entry. */
export type Lesson = Node & {
  __typename?: 'Lesson';
  /** The absence, if the student missed the lesson; null if present. */
  absence?: Maybe<Absence>;
  /** The day. */
  date: Scalars['Date']['output'];
  /** End, with the region's offset. */
  endsAt: Scalars['DateTime']['output'];
  /** Homework set in this lesson. */
  homework: Array<Homework>;
  /** Opaque global id; it carries the region. Do not parse it. */
  id: Scalars['ID']['output'];
  /** The lesson does not take place. */
  isCancelled: Scalars['Boolean']['output'];
  /** The lesson is held remotely. */
  isRemote: Scalars['Boolean']['output'];
  /** Another teacher stands in. */
  isReplaced: Scalars['Boolean']['output'];
  /** The student's marks for this lesson (a subject teacher sees their subject's). */
  marks: Array<Mark>;
  /** Lesson number within the day, from 1. */
  number: Scalars['Int']['output'];
  /** Room, where known. */
  room?: Maybe<Scalars['String']['output']>;
  /** Start, with the region's offset. */
  startsAt: Scalars['DateTime']['output'];
  /** The subject. */
  subject: Subject;
  /** Who teaches it (the substitute if replaced). */
  teacher?: Maybe<Teacher>;
  /** The lesson's topic. */
  topic?: Maybe<Scalars['String']['output']>;
};

/** How people sign in to a region's own diary system. */
export type LoginMethodKind =
  /** The national SSO (Госуслуги / ЕСИА). */
  | 'NATIONAL_SSO'
  /** A login and password issued by the school. */
  | 'SCHOOL_LOGIN';

/** A mark as the teacher gave it, with its equivalents on the 5-, 10- and 100-point scales. The provider's own conversion wins; where it gives none, one common table applies (5-point 5/4/3/2/1 = 10-point 10/8/6/4/2 = 100-point 100/80/60/30/10). normalized is always hundredPoint / 100. */
export type Mark = Node & {
  __typename?: 'Mark';
  /** The teacher's comment. */
  comment?: Maybe<Scalars['String']['output']>;
  /** Kind of work: «Ответ на уроке», «Контрольная работа», … */
  controlForm?: Maybe<Scalars['String']['output']>;
  /** When the mark was set. */
  createdAt?: Maybe<Scalars['DateTime']['output']>;
  /** Value on the 5-point scale: the provider's conversion, else the common table (10-point: ⌈ten / 2⌉; 100-point: ≥90 → 5, ≥70 → 4, ≥50 → 3, ≥20 → 2, else 1). Null where the mark has no numeric meaning (зачёт). */
  fivePoint?: Maybe<Scalars['Float']['output']>;
  /** Value on the 100-point scale: the provider's conversion, else the common table (5-point 5/4/3/2/1 → 100/80/60/30/10; 10-point 10…5 → ten × 10, 4/3/2/1 → 30/20/10/0). Null where unknown or non-numeric. */
  hundredPoint?: Maybe<Scalars['Float']['output']>;
  /** Opaque global id; it carries the region. Do not parse it. */
  id: Scalars['ID']['output'];
  /** True for exam or term-test marks. */
  isExam: Scalars['Boolean']['output'];
  /** Date of the lesson the mark is for. */
  lessonOn: Scalars['Date']['output'];
  /** hundredPoint / 100 (so a 10-point 8 is 0.8 and a 5-point 2 is 0.3); null when hundredPoint is null (зачёт and other non-numeric marks). */
  normalized?: Maybe<Scalars['Float']['output']>;
  /** The scale the mark was given on. */
  scale: MarkScale;
  /** The subject. */
  subject: Subject;
  /** Value on the 10-point scale: the provider's conversion, else the common table (5-point: five × 2; 100-point: the highest 10-point mark it reaches). Null where unknown or non-numeric. */
  tenPoint?: Maybe<Scalars['Float']['output']>;
  /** The mark as given: «5», «9», «87», «зачёт». */
  value: Scalars['String']['output'];
  /** Weight in averages (1 when not given). */
  weight: Scalars['Float']['output'];
};

/** A grading scale. */
export type MarkScale = {
  __typename?: 'MarkScale';
  /** Which scale. */
  kind: MarkScaleKind;
  /** Highest value on the scale. */
  max: Scalars['Float']['output'];
  /** Lowest value on the scale. */
  min: Scalars['Float']['output'];
};

/** Which grading scale a mark or an average is on. */
export type MarkScaleKind =
  /** 1–5. */
  | 'FIVE_POINT'
  /** 0–100. */
  | 'HUNDRED_POINT'
  /** A scale of the region's own (see min/max). */
  | 'OTHER'
  /** Зачёт / незачёт. */
  | 'PASS_FAIL'
  /** 1–10. */
  | 'TEN_POINT';

/** Changes to diary data. */
export type Mutation = {
  __typename?: 'Mutation';
  /** Sign a student in with their school-issued login; returns a gateway session (the provider's token stays on the server). */
  login: Session;
  /** Exchange a session's refresh token for new tokens. */
  refreshSession: Session;
  /** Mark homework done or not done (the student or their legal representative). */
  setHomeworkDone?: Maybe<HomeworkDonePayload>;
};


/** Changes to diary data. */
export type MutationLoginArgs = {
  login: Scalars['String']['input'];
  password: Scalars['String']['input'];
  region: Scalars['String']['input'];
  school?: InputMaybe<Scalars['String']['input']>;
};


/** Changes to diary data. */
export type MutationRefreshSessionArgs = {
  refreshToken: Scalars['String']['input'];
};


/** Changes to diary data. */
export type MutationSetHomeworkDoneArgs = {
  done: Scalars['Boolean']['input'];
  homeworkId: Scalars['ID']['input'];
};

/** An object with an opaque global id, fetchable by `node(id:)`. */
export type Node = {
  /** Opaque global id; it carries the region. Do not parse it. */
  id: Scalars['ID']['output'];
};

/** A subject's average as the school's own diary system states it, for that system's period (a term or half-year): the figure the school uses. The gateway never computes or adjusts it, so it can differ from SubjectProgress's computed averages, which cover only the marks of the range asked about. */
export type OfficialAverage = {
  __typename?: 'OfficialAverage';
  /** Last day of the system's period, if given. */
  endsOn?: Maybe<Scalars['Date']['output']>;
  /** The system's name for its period («1 полугодие», «2 четверть»), if given. */
  periodName?: Maybe<Scalars['String']['output']>;
  /** The scale the region's system states the average on (usually «five»). */
  scale: MarkScale;
  /** First day of the system's period, if given. */
  startsOn?: Maybe<Scalars['Date']['output']>;
  /** The average as the region's system gives it, on `scale`. */
  value: Scalars['Float']['output'];
};

/** Where a page of a connection sits in the whole list. */
export type PageInfo = {
  __typename?: 'PageInfo';
  /** Cursor of the last item. */
  endCursor?: Maybe<Scalars['String']['output']>;
  /** Whether items follow this page. */
  hasNextPage: Scalars['Boolean']['output'];
  /** Whether items precede this page. */
  hasPreviousPage: Scalars['Boolean']['output'];
  /** Cursor of the first item. */
  startCursor?: Maybe<Scalars['String']['output']>;
};

/** A named person. */
export type Person = {
  __typename?: 'Person';
  /** Given name. */
  firstName: Scalars['String']['output'];
  /** «Фамилия Имя Отчество». */
  fullName: Scalars['String']['output'];
  /** Family name. */
  lastName: Scalars['String']['output'];
  /** Patronymic, where there is one. */
  middleName?: Maybe<Scalars['String']['output']>;
};

/** One point of a progress chart. */
export type ProgressPoint = {
  __typename?: 'ProgressPoint';
  /** Weighted mean of fivePoint values of the marks up to that day. */
  average: Scalars['Float']['output'];
  /** The day. */
  date: Scalars['Date']['output'];
};

/** Entry points for reading diaries. */
export type Query = {
  __typename?: 'Query';
  /** A student's diary over a date range. */
  diary?: Maybe<Diary>;
  /** A group's journal over a date range (staff only). */
  journal?: Maybe<Journal>;
  /** The signed-in viewer: person, roles per region, children. */
  me?: Maybe<Viewer>;
  /** Refetch any object that implements Node by its global id. */
  node?: Maybe<Node>;
  /** One region by code (public). */
  region?: Maybe<Region>;
  /** Every region the gateway serves (public). */
  regions: Array<Region>;
  /** A student the viewer is related to. */
  student?: Maybe<Student>;
  /** The signed-in viewer (an alias of `me`, as Relay expects). */
  viewer?: Maybe<Viewer>;
};


/** Entry points for reading diaries. */
export type QueryDiaryArgs = {
  from: Scalars['Date']['input'];
  studentId: Scalars['ID']['input'];
  to: Scalars['Date']['input'];
};


/** Entry points for reading diaries. */
export type QueryJournalArgs = {
  from: Scalars['Date']['input'];
  groupId: Scalars['ID']['input'];
  to: Scalars['Date']['input'];
};


/** Entry points for reading diaries. */
export type QueryNodeArgs = {
  id: Scalars['ID']['input'];
};


/** Entry points for reading diaries. */
export type QueryRegionArgs = {
  code: Scalars['String']['input'];
};


/** Entry points for reading diaries. */
export type QueryStudentArgs = {
  id: Scalars['ID']['input'];
};

/** A region and the diary system its schools use (public). */
export type Region = Node & {
  __typename?: 'Region';
  /** What the region's system provides (schedule, marks, homework, …). */
  capabilities: Array<Capability>;
  /** Region code, e.g. «77» for Moscow. */
  code: Scalars['String']['output'];
  /** Name of the region's diary system. */
  diarySystem: Scalars['String']['output'];
  /** The region's own diary site. */
  diaryUrl: Scalars['String']['output'];
  /** Opaque global id; it carries the region. Do not parse it. */
  id: Scalars['ID']['output'];
  /** True when the region serves demo data. */
  isDemo: Scalars['Boolean']['output'];
  /** How people sign in to the region's system. */
  loginMethods: Array<LoginMethodKind>;
  /** Region name. */
  name: Scalars['String']['output'];
  /** The region's schools, by name; null (with an error at its path) when the region's system cannot answer, so other regions still list theirs. */
  schools?: Maybe<SchoolConnection>;
  /** IANA time zone of the region's schools. */
  timezone: Scalars['String']['output'];
};


/** A region and the diary system its schools use (public). */
export type RegionSchoolsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: Scalars['Int']['input'];
};

/** One role of the viewer in one region (and school). */
export type RegionRole = {
  __typename?: 'RegionRole';
  /** For a class teacher: the classes they lead, with students. */
  classes: Array<ClassUnit>;
  /** For a teacher: the groups they teach. */
  groups: Array<Group>;
  /** The region. */
  region: Region;
  /** The role. */
  role: RoleKind;
  /** The school the role applies to, where it is one school. */
  school?: Maybe<School>;
};

/** A role a person holds in a region's diary system. */
export type RoleKind =
  /** The teacher in charge of a class. */
  | 'CLASS_TEACHER'
  /** Parent of a student. */
  | 'PARENT'
  /** An administrator of a school. */
  | 'SCHOOL_ADMIN'
  /** A student. */
  | 'STUDENT'
  /** A subject teacher. */
  | 'TEACHER';

/** A school of a region. */
export type School = Node & {
  __typename?: 'School';
  /** Street address, where known. */
  address?: Maybe<Scalars['String']['output']>;
  /** The school's lesson times; null where the region lacks them. */
  bellSchedule?: Maybe<BellSchedule>;
  /** The school's classes the viewer reaches: all of them for its admins, a class teacher's classes, the classes of a teacher's groups; empty for anyone else. */
  classes: ClassUnitConnection;
  /** The school's subject groups the viewer reaches: all of them for its admins, a teacher's own groups; empty for anyone else. */
  groups: GroupConnection;
  /** Opaque global id; it carries the region. Do not parse it. */
  id: Scalars['ID']['output'];
  /** Full name of the school. */
  name: Scalars['String']['output'];
  /** The region the school is in. */
  region: Region;
  /** Short name, where the region has one. */
  shortName?: Maybe<Scalars['String']['output']>;
  /** The school's students the viewer relates to: all of them for its admins, a class teacher's class, a teacher's groups; empty for anyone else. */
  students: StudentConnection;
  /** The periods of the school's year (quarters, trimesters; the whole year where the region states no more), in order; null when the region cannot say. */
  terms?: Maybe<Array<Term>>;
};


/** A school of a region. */
export type SchoolClassesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: Scalars['Int']['input'];
};


/** A school of a region. */
export type SchoolGroupsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: Scalars['Int']['input'];
};


/** A school of a region. */
export type SchoolStudentsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: Scalars['Int']['input'];
};

/** A page of a region's schools. */
export type SchoolConnection = {
  __typename?: 'SchoolConnection';
  /** The schools of this page. */
  edges: Array<SchoolEdge>;
  /** The schools of this page (the edges' nodes). */
  nodes: Array<School>;
  /** Paging information. */
  pageInfo: PageInfo;
  /** How many schools the region has. */
  totalCount: Scalars['Int']['output'];
};

/** A school of a connection and its cursor. */
export type SchoolEdge = {
  __typename?: 'SchoolEdge';
  /** Cursor of this item. */
  cursor: Scalars['String']['output'];
  /** The school. */
  node: School;
};

/** A gateway session for a student signed in with a school login. */
export type Session = {
  __typename?: 'Session';
  /** Seconds until the token expires. */
  expiresIn: Scalars['Int']['output'];
  /** Exchange it for a new token. */
  refreshToken: Scalars['String']['output'];
  /** The signed-in student. */
  student?: Maybe<Student>;
  /** Bearer token for the gateway (short-lived). */
  token: Scalars['String']['output'];
};

/** A student, as their region's diary system knows them. */
export type Student = Node & {
  __typename?: 'Student';
  /** Absences over a date range (`from` and `to`) or a whole term (`termId`). */
  absences?: Maybe<Array<Absence>>;
  /** Who read this student's records (for the legal representative). */
  accessLog?: Maybe<AccessEventConnection>;
  /** Date of birth (not for subject teachers). */
  bornOn?: Maybe<Scalars['Date']['output']>;
  /** Recent changes (new or updated marks and homework). */
  changes?: Maybe<ChangeConnection>;
  /** The class, e.g. «9-А». */
  className: Scalars['String']['output'];
  /** The diary over a date range: days, lessons, marks, homework. */
  diary?: Maybe<Diary>;
  /** Given name. */
  firstName: Scalars['String']['output'];
  /** «Фамилия Имя Отчество». */
  fullName: Scalars['String']['output'];
  /** Opaque global id; it carries the region. Do not parse it. */
  id: Scalars['ID']['output'];
  /** Family name. */
  lastName: Scalars['String']['output'];
  /** The student's marks, oldest lesson first, over a date range (`from` and `to`) or a whole term (`termId`); a subject teacher sees their subjects' marks. */
  marks?: Maybe<Array<Mark>>;
  /** Patronymic. */
  middleName?: Maybe<Scalars['String']['output']>;
  /** Phones and e-mails of the legal representatives (not for subject teachers). */
  parentContacts?: Maybe<Array<Scalars['String']['output']>>;
  /** Per-subject averages, trends and chart series over a date range, a whole term (`termId`), or by default the school year so far. */
  progress?: Maybe<Array<SubjectProgress>>;
  /** The region whose system holds this student's diary. */
  region: Region;
  /** The student's school. */
  school?: Maybe<School>;
};


/** A student, as their region's diary system knows them. */
export type StudentAbsencesArgs = {
  from?: InputMaybe<Scalars['Date']['input']>;
  termId?: InputMaybe<Scalars['ID']['input']>;
  to?: InputMaybe<Scalars['Date']['input']>;
};


/** A student, as their region's diary system knows them. */
export type StudentAccessLogArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: Scalars['Int']['input'];
};


/** A student, as their region's diary system knows them. */
export type StudentChangesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  days?: Scalars['Int']['input'];
  first?: Scalars['Int']['input'];
};


/** A student, as their region's diary system knows them. */
export type StudentDiaryArgs = {
  from: Scalars['Date']['input'];
  to: Scalars['Date']['input'];
};


/** A student, as their region's diary system knows them. */
export type StudentMarksArgs = {
  from?: InputMaybe<Scalars['Date']['input']>;
  termId?: InputMaybe<Scalars['ID']['input']>;
  to?: InputMaybe<Scalars['Date']['input']>;
};


/** A student, as their region's diary system knows them. */
export type StudentProgressArgs = {
  from?: InputMaybe<Scalars['Date']['input']>;
  termId?: InputMaybe<Scalars['ID']['input']>;
  to?: InputMaybe<Scalars['Date']['input']>;
};

/** A page of students. */
export type StudentConnection = {
  __typename?: 'StudentConnection';
  /** The students of this page. */
  edges: Array<StudentEdge>;
  /** The students of this page (the edges' nodes). */
  nodes: Array<Student>;
  /** Paging information. */
  pageInfo: PageInfo;
  /** How many students the whole list has. */
  totalCount: Scalars['Int']['output'];
};

/** A student of a connection and their cursor. */
export type StudentEdge = {
  __typename?: 'StudentEdge';
  /** Cursor of this item. */
  cursor: Scalars['String']['output'];
  /** The student. */
  node: Student;
};

/** A school subject. */
export type Subject = Node & {
  __typename?: 'Subject';
  /** Opaque global id; it carries the region. Do not parse it. */
  id: Scalars['ID']['output'];
  /** Subject name, e.g. «Алгебра». */
  name: Scalars['String']['output'];
};

/** A subject's progress over the range asked about. The computed figures (averageFivePoint, averageTenPoint, averageHundredPoint, trend, series) are always the gateway's own calculation from the marks returned for the range: on each scale, the mean of the marks' values weighted by weight (marks without a value there, such as зачёт, do not count); the normalized average is averageHundredPoint / 100, by the same rule as Mark.normalized. officialAverage is the region's own figure for its own period, where its system states one; it is shown beside the computed figures and never replaces them. */
export type SubjectProgress = {
  __typename?: 'SubjectProgress';
  /** Computed: weighted mean of the range's marks' fivePoint values. */
  averageFivePoint?: Maybe<Scalars['Float']['output']>;
  /** Computed: weighted mean of the range's marks' hundredPoint values (/ 100: normalized). */
  averageHundredPoint?: Maybe<Scalars['Float']['output']>;
  /** Computed: weighted mean of the range's marks' tenPoint values. */
  averageTenPoint?: Maybe<Scalars['Float']['output']>;
  /** How many marks of the range count. */
  count: Scalars['Int']['output'];
  /** Official: the average as the region's system states it, for its own period (see startsOn/endsOn; it may cover marks outside the range asked about). Null where the region's system gives no average of its own (regions 74 and 11 in the demo) or its period does not meet the range. */
  officialAverage?: Maybe<OfficialAverage>;
  /** Computed: running average by day, for a progress chart. */
  series: Array<ProgressPoint>;
  /** The subject. */
  subject: Subject;
  /** Computed: direction of the latest change of the running average. */
  trend: Trend;
};

/** A teacher. */
export type Teacher = Node & {
  __typename?: 'Teacher';
  /** «Фамилия Имя Отчество». */
  fullName: Scalars['String']['output'];
  /** Opaque global id; it carries the region. Do not parse it. */
  id: Scalars['ID']['output'];
  /** Subjects they teach, where known. */
  subjects: Array<Scalars['String']['output']>;
};

/** A period of a school's year: a quarter, trimester or half. */
export type Term = Node & {
  __typename?: 'Term';
  /** Its last day. */
  endsOn: Scalars['Date']['output'];
  /** Opaque global id; it carries the region. Do not parse it. */
  id: Scalars['ID']['output'];
  /** The region's name for it, e.g. «1 четверть». */
  name: Scalars['String']['output'];
  /** Its first day. */
  startsOn: Scalars['Date']['output'];
};

/** Which way a subject's marks are going. */
export type Trend =
  /** Getting worse. */
  | 'DOWN'
  /** Steady. */
  | 'FLAT'
  /** Improving. */
  | 'UP';

/** The signed-in person, across every region that knows them. */
export type Viewer = Node & {
  __typename?: 'Viewer';
  /** The viewer's children in every region; a null item stands for a region whose system could not answer (see the error at its path). */
  children: Array<Maybe<Student>>;
  /** Opaque global id; it carries the region. Do not parse it. */
  id: Scalars['ID']['output'];
  /** Who the viewer is (as the first region that knows them says). */
  person?: Maybe<Person>;
  /** The viewer's roles in every region; a null item stands for a region whose system could not answer (see the error at its path). */
  roles: Array<Maybe<RegionRole>>;
  /** The viewer's own student records (a student signed in through the national SSO, or with a school login); a null item stands for a region that could not answer. */
  students: Array<Maybe<Student>>;
};

export type ParentWeekQueryVariables = Exact<{
  from: Scalars['Date']['input'];
  to: Scalars['Date']['input'];
}>;


export type ParentWeekQuery = { __typename?: 'Query', me?: { __typename?: 'Viewer', children: Array<{ __typename?: 'Student', id: string, fullName: string, className: string, school?: { __typename?: 'School', name: string, region: { __typename?: 'Region', code: string, name: string } } | null, diary?: { __typename?: 'Diary', days: Array<{ __typename?: 'DiaryDay', date: string, lessons: Array<{ __typename?: 'Lesson', id: string, number: number, isCancelled: boolean, subject: { __typename?: 'Subject', name: string }, marks: Array<{ __typename?: 'Mark', id: string, value: string, comment?: string | null, weight: number, controlForm?: string | null, scale: { __typename?: 'MarkScale', kind: MarkScaleKind } }>, homework: Array<{ __typename?: 'Homework', id: string, text: string, dueOn: string, isDone?: boolean | null }>, absence?: { __typename?: 'Absence', id: string, reason?: string | null, isExcused?: boolean | null } | null }>, homeworkWithoutLesson: Array<{ __typename?: 'Homework', id: string, text: string, dueOn: string, isDone?: boolean | null }>, absencesWithoutLesson: Array<{ __typename?: 'Absence', id: string, reason?: string | null, isExcused?: boolean | null }> }> } | null } | null> } | null };

export type SetHomeworkDoneMutationVariables = Exact<{
  homeworkId: Scalars['ID']['input'];
  done: Scalars['Boolean']['input'];
}>;


export type SetHomeworkDoneMutation = { __typename?: 'Mutation', setHomeworkDone?: { __typename?: 'HomeworkDonePayload', homework: { __typename?: 'Homework', id: string, isDone?: boolean | null } } | null };


export const ParentWeekDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ParentWeek"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"from"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Date"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"to"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Date"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"me"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"children"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"fullName"}},{"kind":"Field","name":{"kind":"Name","value":"className"}},{"kind":"Field","name":{"kind":"Name","value":"school"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"region"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"diary"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"from"},"value":{"kind":"Variable","name":{"kind":"Name","value":"from"}}},{"kind":"Argument","name":{"kind":"Name","value":"to"},"value":{"kind":"Variable","name":{"kind":"Name","value":"to"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"days"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"date"}},{"kind":"Field","name":{"kind":"Name","value":"lessons"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"number"}},{"kind":"Field","name":{"kind":"Name","value":"isCancelled"}},{"kind":"Field","name":{"kind":"Name","value":"subject"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"marks"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"value"}},{"kind":"Field","name":{"kind":"Name","value":"comment"}},{"kind":"Field","name":{"kind":"Name","value":"weight"}},{"kind":"Field","name":{"kind":"Name","value":"controlForm"}},{"kind":"Field","name":{"kind":"Name","value":"scale"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"homework"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"text"}},{"kind":"Field","name":{"kind":"Name","value":"dueOn"}},{"kind":"Field","name":{"kind":"Name","value":"isDone"}}]}},{"kind":"Field","name":{"kind":"Name","value":"absence"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"reason"}},{"kind":"Field","name":{"kind":"Name","value":"isExcused"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"homeworkWithoutLesson"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"text"}},{"kind":"Field","name":{"kind":"Name","value":"dueOn"}},{"kind":"Field","name":{"kind":"Name","value":"isDone"}}]}},{"kind":"Field","name":{"kind":"Name","value":"absencesWithoutLesson"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"reason"}},{"kind":"Field","name":{"kind":"Name","value":"isExcused"}}]}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<ParentWeekQuery, ParentWeekQueryVariables>;
export const SetHomeworkDoneDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SetHomeworkDone"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"homeworkId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"done"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Boolean"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setHomeworkDone"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"homeworkId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"homeworkId"}}},{"kind":"Argument","name":{"kind":"Name","value":"done"},"value":{"kind":"Variable","name":{"kind":"Name","value":"done"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"homework"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"isDone"}}]}}]}}]}}]} as unknown as DocumentNode<SetHomeworkDoneMutation, SetHomeworkDoneMutationVariables>;