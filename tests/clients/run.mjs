// Frontend clients against a running gateway: Apollo Client 3 (InMemoryCache), relay-runtime
// with relay-compiler, GraphQL Code Generator with tsc --strict.
//
//   CLIENTS_URL=http://127.0.0.1:8000/graphql CLIENTS_TOKEN=<parent token> \
//   CLIENTS_FROM=2026-11-23 CLIENTS_TO=2026-11-29 CLIENTS_WORK=/tmp/dir node tests/clients/run.mjs
//
// The token is the `parent` persona's (twins Анна and Михаил, region 77, one class). The work
// directory receives the schema (by introspection of CLIENTS_URL), a copy of src/ and
// everything generated, so runs never write into the source tree. Prints one JSON line per
// check: {"check": NAME, "ok": BOOL, "detail": TEXT}; exits 0 when every check ran (pass or
// fail), 2 on bad usage or when the gateway cannot be reached.
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

import { buildClientSchema, getIntrospectionQuery, printSchema } from 'graphql';

import { codegenConfig } from './codegen.config.mjs';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const bin = (name) => path.join(here, 'node_modules', '.bin', name);

const url = process.env.CLIENTS_URL;
const token = process.env.CLIENTS_TOKEN;
const week = { from: process.env.CLIENTS_FROM, to: process.env.CLIENTS_TO };
const work = process.env.CLIENTS_WORK;
if (!url || !token || !week.from || !week.to || !work) {
  console.error('usage: CLIENTS_URL, CLIENTS_TOKEN, CLIENTS_FROM, CLIENTS_TO, CLIENTS_WORK');
  process.exit(2);
}

function report(check, ok, detail = '') {
  console.log(JSON.stringify({ check, ok, detail: String(detail) }));
}

async function post(query, variables = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return response.json();
}

/** Runs one check; an exception is its failure (the other checks still run). */
async function step(check, fn) {
  try {
    const detail = await fn();
    report(check, true, detail ?? '');
    return true;
  } catch (err) {
    report(check, false, err && err.stack ? err.stack : err);
    return false;
  }
}

/** Console warnings/errors a client library prints while fn runs. */
async function capturingConsole(fn) {
  const seen = [];
  const saved = { warn: console.warn, error: console.error };
  console.warn = (...args) => seen.push(args.map(String).join(' '));
  console.error = (...args) => seen.push(args.map(String).join(' '));
  try {
    return { value: await fn(), seen };
  } finally {
    Object.assign(console, saved);
  }
}

/** `date#number → [mark id=value]` of a TwinDiary result (Apollo or relay). */
function marksByLesson(student) {
  const byLesson = {};
  for (const day of student?.diary?.days ?? []) {
    for (const lesson of day.lessons) {
      byLesson[`${day.date}#${lesson.number}`] = lesson.marks.map((m) => `${m.id}=${m.value}`);
    }
  }
  return byLesson;
}

function sameMarks(label, cached, fromNetwork) {
  const a = JSON.stringify(cached);
  const b = JSON.stringify(fromNetwork);
  if (a !== b) {
    const lessons = Object.keys(fromNetwork).filter(
      (k) => JSON.stringify(cached[k]) !== JSON.stringify(fromNetwork[k]),
    );
    const first = lessons[0];
    throw new Error(
      `${label}: the cache shows other marks than the server sent, in ${lessons.length} ` +
        `lesson(s); first ${first}: cached ${JSON.stringify(cached[first])}, ` +
        `server ${JSON.stringify(fromNetwork[first])}`,
    );
  }
}

// --- set up the work directory --------------------------------------------------------------
const introspection = await post(getIntrospectionQuery({ specifiedByUrl: true }));
if (!introspection.data) {
  console.error(`introspection failed: ${JSON.stringify(introspection)}`);
  process.exit(2);
}
const sdl = printSchema(buildClientSchema(introspection.data));
await mkdir(work, { recursive: true });
await writeFile(path.join(work, 'schema.graphql'), sdl);
await cp(path.join(here, 'src'), path.join(work, 'src'), { recursive: true });
await symlink(path.join(here, 'node_modules'), path.join(work, 'node_modules'), 'dir').catch(
  (err) => {
    if (err.code !== 'EEXIST') throw err;
  },
);
// CommonJS: relay-compiler's JavaScript artifacts require() each other without extensions.
await writeFile(path.join(work, 'package.json'), JSON.stringify({ private: true }));

// --- the twins --------------------------------------------------------------------------------
const children = await post(
  '{ me { children { id fullName className school { region { code } } } } }',
);
const kids = (children.data?.me?.children ?? []).filter(Boolean);
const inClass77 = kids.filter((c) => c.school?.region?.code === '77');
const twins = inClass77.filter((c) => inClass77.some((o) => o !== c && o.className === c.className));
if (twins.length !== 2) {
  console.error(`the parent persona should have twins in one class in 77: ${JSON.stringify(children)}`);
  process.exit(2);
}
const [first, second] = twins;
const varsOf = (twin) => ({ id: twin.id, ...week });

// --- Apollo Client 3: InMemoryCache ----------------------------------------------------------
await step('apollo-twins', async () => {
  const { ApolloClient, HttpLink, InMemoryCache, gql } = await import(
    '@apollo/client/core/index.js'
  );
  // Apollo takes one operation per document: TwinDiary's, from the file codegen also reads.
  const all = gql(await readFile(path.join(here, 'src/operations/twins.graphql'), 'utf8'));
  const documents = {
    ...all,
    definitions: all.definitions.filter((d) => d.name?.value === 'TwinDiary'),
  };
  const client = new ApolloClient({
    link: new HttpLink({ uri: url, headers: { Authorization: `Bearer ${token}` }, fetch }),
    cache: new InMemoryCache(),
  });
  const { value, seen } = await capturingConsole(async () => {
    const network = {};
    for (const twin of [first, second]) {
      const result = await client.query({
        query: documents,
        variables: varsOf(twin),
        fetchPolicy: 'network-only',
      });
      if (result.errors?.length) throw new Error(JSON.stringify(result.errors));
      network[twin.id] = marksByLesson(result.data.student);
    }
    const marked = Object.values(network[first.id]).flat().length;
    const marked2 = Object.values(network[second.id]).flat().length;
    if (!marked || !marked2) throw new Error(`no marks in ${week.from}..${week.to} to compare`);
    for (const twin of [first, second]) {
      const cached = client.readQuery({ query: documents, variables: varsOf(twin) });
      sameMarks(`Apollo, ${twin.fullName} read back after both twins`, marksByLesson(cached?.student), network[twin.id]);
    }
    return `${marked} and ${marked2} marks, each twin's own after both were read`;
  });
  const lost = seen.filter((line) => /Cache data may be lost|unique|conflict/i.test(line));
  if (lost.length) throw new Error(`Apollo warned: ${lost.join(' | ')}`);
  return value;
});

// --- relay-compiler ----------------------------------------------------------------------------
const relayConfig = {
  src: './src/relay',
  schema: './schema.graphql',
  language: 'javascript',
  artifactDirectory: './src/relay/__generated__',
  eagerEsModules: false, // CommonJS artifacts: they require() each other without extensions
};
await mkdir(path.join(work, relayConfig.artifactDirectory), { recursive: true });
await writeFile(path.join(work, 'relay.config.json'), JSON.stringify(relayConfig, null, 2));
const compiled = await step('relay-compile', async () => {
  try {
    const { stdout } = await run(bin('relay-compiler'), [], { cwd: work });
    return stdout.trim().split('\n').slice(-1)[0];
  } catch (err) {
    throw new Error(`relay-compiler failed:\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
});

// --- relay-runtime: twins and refetchable fragments -------------------------------------------
if (compiled) {
  const relay = await import('relay-runtime');
  const artifact = async (name) =>
    (await import(pathToFileURL(path.join(work, 'src/relay/__generated__', `${name}.graphql.js`)))).default;
  const twinQuery = await artifact('TwinDiaryRelayQuery');
  const environment = new relay.Environment({
    network: relay.Network.create(async (params, variables) => post(params.text, variables)),
    store: new relay.Store(new relay.RecordSource()),
  });
  const read = (query, variables) =>
    environment.lookup(relay.createOperationDescriptor(query, variables).fragment).data;

  await step('relay-twins', async () => {
    const { value, seen } = await capturingConsole(async () => {
      const network = {};
      for (const twin of [first, second]) {
        const data = await relay.fetchQuery(environment, twinQuery, varsOf(twin)).toPromise();
        network[twin.id] = marksByLesson(data.student);
      }
      for (const twin of [first, second]) {
        sameMarks(
          `relay-runtime, ${twin.fullName} read back after both twins`,
          marksByLesson(read(twinQuery, varsOf(twin)).student),
          network[twin.id],
        );
      }
      return 'each twin reads back their own marks from the store';
    });
    const warned = seen.filter((line) => /conflicting|globally unique|Invalid record/i.test(line));
    if (warned.length) throw new Error(`relay-runtime warned: ${warned.join(' | ')}`);
    return value;
  });

  await step('relay-refetch', async () => {
    // Refetch a Student, one of their Lessons and one of its Marks with the refetch queries
    // relay-compiler generated (node(id:)), and compare with what the diary query returned.
    const data = read(twinQuery, varsOf(first));
    const lessons = data.student.diary.days.flatMap((d) => d.lessons);
    const lesson = lessons.find((l) => l.marks.length);
    if (!lesson) throw new Error('no lesson with a mark to refetch');
    const mark = lesson.marks[0];
    const done = [];
    for (const [queryName, fragmentName, id, check] of [
      [
        'StudentHeaderRefetchQuery',
        'StudentHeader_student',
        data.student.id,
        (n) => n.fullName === first.fullName,
      ],
      [
        'LessonCardRefetchQuery',
        'LessonCard_lesson',
        lesson.id,
        (n) =>
          JSON.stringify(n.marks.map((m) => m.id)) ===
          JSON.stringify(lesson.marks.map((m) => m.id)),
      ],
      ['MarkBadgeRefetchQuery', 'MarkBadge_mark', mark.id, (n) => n.value === mark.value],
    ]) {
      const query = await artifact(queryName);
      const refetched = await relay.fetchQuery(environment, query, { id }).toPromise();
      const node =
        refetched.node &&
        environment.lookup(relay.getSelector(await artifact(fragmentName), refetched.node)).data;
      if (!node || node.id !== id || !check(node)) {
        throw new Error(`${queryName}(${id}) read ${JSON.stringify(node)}`);
      }
      done.push(`${queryName} → ${fragmentName}`);
    }
    return done.join(', ');
  });
} else {
  report('relay-twins', false, 'relay-compiler failed (see relay-compile)');
  report('relay-refetch', false, 'relay-compiler failed (see relay-compile)');
}

// --- GraphQL Code Generator + tsc --strict -----------------------------------------------------
const generated = await step('codegen', async () => {
  const { generate } = await import('@graphql-codegen/cli');
  await generate(
    codegenConfig({
      schema: path.join(work, 'schema.graphql'),
      documents: path.join(work, 'src/operations/*.graphql'),
      output: path.join(work, 'src/typed/__generated__/graphql.ts'),
    }),
    true,
  );
  return 'typescript + typescript-operations';
});
if (generated) {
  await step('tsc-strict', async () => {
    const tsconfig = {
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: 'es2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
      },
      include: ['src/typed/**/*.ts'],
    };
    await writeFile(path.join(work, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    try {
      await run(bin('tsc'), ['--project', 'tsconfig.json'], { cwd: work });
    } catch (err) {
      throw new Error(`tsc --strict failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
    }
    return 'tsc --strict accepts the generated types and their use';
  });
} else {
  report('tsc-strict', false, 'codegen failed (see codegen)');
}
