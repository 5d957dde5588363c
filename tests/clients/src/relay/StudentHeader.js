// Compiled by relay-compiler only: the runtime test imports the generated artifacts.
import { graphql } from 'relay-runtime';

export const StudentHeader = graphql`
  fragment StudentHeader_student on Student
  @refetchable(queryName: "StudentHeaderRefetchQuery") {
    id
    fullName
  }
`;
