// Code that uses GraphQL Code Generator's output; `tsc --strict` must accept it as written.
import type {
  ChildrenQuery,
  TwinDiaryQuery,
  TwinDiaryQueryVariables,
} from './__generated__/graphql.js';

/** Date, DateTime and Time are ISO 8601 strings (the documented codegen scalar mapping). */
export const variables: TwinDiaryQueryVariables = {
  id: 'U3R1ZGVudDo3Nzo3NzAwMDEwMDE',
  from: '2026-09-01',
  to: '2026-09-07',
};

export function twinsOf(data: ChildrenQuery): string[] {
  const children = data.me?.children ?? [];
  return children
    .filter((child): child is NonNullable<typeof child> => child !== null)
    .filter((child) => child.school?.region.code === '77')
    .map((child) => `${child.id} ${child.fullName} ${child.className}`);
}

export function marksByLesson(data: TwinDiaryQuery): Map<string, string[]> {
  const byLesson = new Map<string, string[]>();
  for (const day of data.student?.diary?.days ?? []) {
    const date: string = day.date;
    for (const lesson of day.lessons) {
      const startsAt: string = lesson.startsAt;
      const lessonDate: string = lesson.date;
      byLesson.set(
        `${date}#${lesson.number} ${lesson.subject.name} ${startsAt} ${lessonDate}`,
        lesson.marks.map((mark) => `${mark.id}=${mark.value}`),
      );
    }
  }
  return byLesson;
}
