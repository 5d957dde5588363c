// Compiled by relay-compiler only: the runtime test imports the generated artifacts.
import { graphql } from 'relay-runtime';

export const MarkBadge = graphql`
  fragment MarkBadge_mark on Mark @refetchable(queryName: "MarkBadgeRefetchQuery") {
    id
    value
    weight
    comment
  }
`;
