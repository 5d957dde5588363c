// Compiled by relay-compiler only: the runtime test imports the generated artifacts.
// Marks are selected unmasked beside the fragment so the test can read them from the store.
import { graphql } from 'relay-runtime';

export const TwinDiaryRelay = graphql`
  query TwinDiaryRelayQuery($id: ID!, $from: Date!, $to: Date!) {
    student(id: $id) {
      id
      ...StudentHeader_student
      diary(from: $from, to: $to) {
        days {
          date
          lessons {
            id
            number
            marks {
              id
              value
            }
            ...LessonCard_lesson
          }
        }
      }
    }
  }
`;
