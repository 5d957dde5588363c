import { useState } from 'react';
import { useMutation, useQuery } from 'urql';

import { graphql } from './gql';
import type { ParentWeekQuery } from './gql/graphql';

const ParentWeek = graphql(`
  query ParentWeek($from: Date!, $to: Date!) {
    me {
      children {
        id
        fullName
        className
        school {
          name
          region {
            code
            name
          }
        }
        diary(from: $from, to: $to) {
          days {
            date
            lessons {
              id
              number
              isCancelled
              subject {
                name
              }
              marks {
                id
                value
                comment
                weight
                controlForm
                scale {
                  kind
                }
              }
              homework {
                id
                text
                dueOn
                isDone
              }
              absence {
                id
                reason
                isExcused
              }
            }
            homeworkWithoutLesson {
              id
              text
              dueOn
              isDone
            }
            absencesWithoutLesson {
              id
              reason
              isExcused
            }
          }
        }
      }
    }
  }
`);

const SetHomeworkDone = graphql(`
  mutation SetHomeworkDone($homeworkId: ID!, $done: Boolean!) {
    setHomeworkDone(homeworkId: $homeworkId, done: $done) {
      homework {
        id
        isDone
      }
    }
  }
`);

type Child = NonNullable<NonNullable<ParentWeekQuery['me']>['children'][number]>;
type Day = NonNullable<Child['diary']>['days'][number];
type Lesson = Day['lessons'][number];
type Homework = Lesson['homework'][number];
type Absence = NonNullable<Lesson['absence']>;

const WEEKDAYS = ['вс', 'пн', 'вт', 'ср', 'чт', 'пт', 'сб'];

function weekday(iso: string): string {
  return WEEKDAYS[new Date(`${iso}T00:00:00Z`).getUTCDay()];
}

function HomeworkItem({ homework }: { homework: Homework }) {
  const [{ fetching }, setDone] = useMutation(SetHomeworkDone);
  const [failure, setFailure] = useState<string | null>(null);
  const toggle = async () => {
    setFailure(null);
    const result = await setDone({ homeworkId: homework.id, done: !homework.isDone });
    if (result.error) {
      setFailure(result.error.graphQLErrors[0]?.message ?? result.error.message);
    }
  };
  return (
    <li className="homework" data-testid="homework">
      <label>
        <input
          type="checkbox"
          data-testid="homework-done"
          checked={homework.isDone === true}
          disabled={fetching}
          onChange={toggle}
        />{' '}
        <span className={homework.isDone ? 'done' : undefined}>{homework.text}</span>
      </label>
      {failure && <span className="error small"> {failure}</span>}
    </li>
  );
}

function AbsenceBadge({ absence }: { absence: Absence }) {
  return (
    <span className="absence" data-testid="absence" title={absence.reason ?? undefined}>
      {absence.isExcused ? 'отсутствовал(а), уважительная' : 'отсутствовал(а)'}
      {absence.reason ? `: ${absence.reason}` : ''}
    </span>
  );
}

function LessonRow({ lesson }: { lesson: Lesson }) {
  return (
    <li className={lesson.isCancelled ? 'lesson cancelled' : 'lesson'}>
      <div className="lesson-head">
        <span className="number">{lesson.number}.</span> {lesson.subject.name}
        {lesson.marks.map((mark) => (
          <span
            key={mark.id}
            className={`mark mark-${mark.scale.kind.toLowerCase()}`}
            data-testid="mark"
            title={[mark.controlForm, `вес ${mark.weight}`].filter(Boolean).join(', ')}
          >
            {mark.value}
          </span>
        ))}
      </div>
      {lesson.marks
        .filter((mark) => mark.comment)
        .map((mark) => (
          <div key={mark.id} className="comment" data-testid="mark-comment">
            «{mark.value}»: {mark.comment}
          </div>
        ))}
      {lesson.absence && <AbsenceBadge absence={lesson.absence} />}
      {lesson.homework.length > 0 && (
        <ul className="homeworks">
          {lesson.homework.map((homework) => (
            <HomeworkItem key={homework.id} homework={homework} />
          ))}
        </ul>
      )}
    </li>
  );
}

function DayColumn({ day }: { day: Day }) {
  return (
    <section className="day" data-testid="day">
      <h3>
        {weekday(day.date)} <span className="date">{day.date.slice(8, 10)}.{day.date.slice(5, 7)}</span>
      </h3>
      {day.lessons.length === 0 && day.homeworkWithoutLesson.length === 0 ? (
        <p className="empty">нет уроков</p>
      ) : (
        <ol className="lessons">
          {day.lessons.map((lesson) => (
            <LessonRow key={lesson.id} lesson={lesson} />
          ))}
        </ol>
      )}
      {day.homeworkWithoutLesson.length > 0 && (
        <ul className="homeworks">
          {day.homeworkWithoutLesson.map((homework) => (
            <HomeworkItem key={homework.id} homework={homework} />
          ))}
        </ul>
      )}
      {day.absencesWithoutLesson.map((absence) => (
        <AbsenceBadge key={absence.id} absence={absence} />
      ))}
    </section>
  );
}

function ChildWeek({ child }: { child: Child }) {
  const days = (child.diary?.days ?? []).filter((day) => day.lessons.length > 0 || weekday(day.date) !== 'вс');
  return (
    <article className="child" data-testid="child" data-name={child.fullName}>
      <h2>
        {child.fullName} <span className="class">{child.className}</span>
      </h2>
      <p className="school">
        {child.school?.name ?? 'школа недоступна'}
        {child.school && ` · регион ${child.school.region.code}, ${child.school.region.name}`}
      </p>
      {child.diary ? (
        <div className="days">
          {days.map((day) => (
            <DayColumn key={day.date} day={day} />
          ))}
        </div>
      ) : (
        <p className="error">Дневник недоступен</p>
      )}
    </article>
  );
}

export function Week({ from, to }: { from: string; to: string }) {
  const [{ data, fetching, error }] = useQuery({ query: ParentWeek, variables: { from, to } });
  if (fetching && !data) {
    return <p className="loading">Загрузка…</p>;
  }
  const children = data?.me?.children ?? [];
  return (
    <main>
      {error && (
        <p className="error" data-testid="errors">
          {error.graphQLErrors.length > 0
            ? error.graphQLErrors.map((e) => `${e.message} (${String(e.extensions.code ?? '')})`).join('; ')
            : error.message}
        </p>
      )}
      {children.map((child, index) =>
        child ? <ChildWeek key={child.id} child={child} /> : <p key={index} className="error">Ребёнок недоступен</p>,
      )}
      {data && children.length === 0 && <p>Нет детей у этой персоны.</p>}
    </main>
  );
}
