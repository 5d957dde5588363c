// Compiled by relay-compiler only: the runtime test imports the generated artifacts.
import { graphql } from 'relay-runtime';

export const LessonCard = graphql`
  fragment LessonCard_lesson on Lesson @refetchable(queryName: "LessonCardRefetchQuery") {
    id
    number
    date
    subject {
      name
    }
    marks {
      id
      ...MarkBadge_mark
    }
  }
`;
