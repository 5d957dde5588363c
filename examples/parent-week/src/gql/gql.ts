/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query ParentWeek($from: Date!, $to: Date!) {\n    me {\n      children {\n        id\n        fullName\n        className\n        school {\n          name\n          region {\n            code\n            name\n          }\n        }\n        diary(from: $from, to: $to) {\n          days {\n            date\n            lessons {\n              id\n              number\n              isCancelled\n              subject {\n                name\n              }\n              marks {\n                id\n                value\n                comment\n                weight\n                controlForm\n                scale {\n                  kind\n                }\n              }\n              homework {\n                id\n                text\n                dueOn\n                isDone\n              }\n              absence {\n                id\n                reason\n                isExcused\n              }\n            }\n            homeworkWithoutLesson {\n              id\n              text\n              dueOn\n              isDone\n            }\n            absencesWithoutLesson {\n              id\n              reason\n              isExcused\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.ParentWeekDocument,
    "\n  mutation SetHomeworkDone($homeworkId: ID!, $done: Boolean!) {\n    setHomeworkDone(homeworkId: $homeworkId, done: $done) {\n      homework {\n        id\n        isDone\n      }\n    }\n  }\n": typeof types.SetHomeworkDoneDocument,
};
const documents: Documents = {
    "\n  query ParentWeek($from: Date!, $to: Date!) {\n    me {\n      children {\n        id\n        fullName\n        className\n        school {\n          name\n          region {\n            code\n            name\n          }\n        }\n        diary(from: $from, to: $to) {\n          days {\n            date\n            lessons {\n              id\n              number\n              isCancelled\n              subject {\n                name\n              }\n              marks {\n                id\n                value\n                comment\n                weight\n                controlForm\n                scale {\n                  kind\n                }\n              }\n              homework {\n                id\n                text\n                dueOn\n                isDone\n              }\n              absence {\n                id\n                reason\n                isExcused\n              }\n            }\n            homeworkWithoutLesson {\n              id\n              text\n              dueOn\n              isDone\n            }\n            absencesWithoutLesson {\n              id\n              reason\n              isExcused\n            }\n          }\n        }\n      }\n    }\n  }\n": types.ParentWeekDocument,
    "\n  mutation SetHomeworkDone($homeworkId: ID!, $done: Boolean!) {\n    setHomeworkDone(homeworkId: $homeworkId, done: $done) {\n      homework {\n        id\n        isDone\n      }\n    }\n  }\n": types.SetHomeworkDoneDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ParentWeek($from: Date!, $to: Date!) {\n    me {\n      children {\n        id\n        fullName\n        className\n        school {\n          name\n          region {\n            code\n            name\n          }\n        }\n        diary(from: $from, to: $to) {\n          days {\n            date\n            lessons {\n              id\n              number\n              isCancelled\n              subject {\n                name\n              }\n              marks {\n                id\n                value\n                comment\n                weight\n                controlForm\n                scale {\n                  kind\n                }\n              }\n              homework {\n                id\n                text\n                dueOn\n                isDone\n              }\n              absence {\n                id\n                reason\n                isExcused\n              }\n            }\n            homeworkWithoutLesson {\n              id\n              text\n              dueOn\n              isDone\n            }\n            absencesWithoutLesson {\n              id\n              reason\n              isExcused\n            }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ParentWeek($from: Date!, $to: Date!) {\n    me {\n      children {\n        id\n        fullName\n        className\n        school {\n          name\n          region {\n            code\n            name\n          }\n        }\n        diary(from: $from, to: $to) {\n          days {\n            date\n            lessons {\n              id\n              number\n              isCancelled\n              subject {\n                name\n              }\n              marks {\n                id\n                value\n                comment\n                weight\n                controlForm\n                scale {\n                  kind\n                }\n              }\n              homework {\n                id\n                text\n                dueOn\n                isDone\n              }\n              absence {\n                id\n                reason\n                isExcused\n              }\n            }\n            homeworkWithoutLesson {\n              id\n              text\n              dueOn\n              isDone\n            }\n            absencesWithoutLesson {\n              id\n              reason\n              isExcused\n            }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetHomeworkDone($homeworkId: ID!, $done: Boolean!) {\n    setHomeworkDone(homeworkId: $homeworkId, done: $done) {\n      homework {\n        id\n        isDone\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation SetHomeworkDone($homeworkId: ID!, $done: Boolean!) {\n    setHomeworkDone(homeworkId: $homeworkId, done: $done) {\n      homework {\n        id\n        isDone\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;