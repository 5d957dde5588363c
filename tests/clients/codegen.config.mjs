// GraphQL Code Generator configuration the client test uses (typescript +
// typescript-operations). The scalar mapping is the one documented in the README:
// Date, DateTime and Time are ISO 8601 strings; strictScalars fails on any scalar not mapped.
export const scalars = { Date: 'string', DateTime: 'string', Time: 'string' };

export function codegenConfig({ schema, documents, output }) {
  return {
    schema,
    documents,
    silent: true,
    generates: {
      [output]: {
        plugins: ['typescript', 'typescript-operations'],
        config: { scalars, strictScalars: true, enumsAsTypes: true, avoidOptionals: false },
      },
    },
  };
}
