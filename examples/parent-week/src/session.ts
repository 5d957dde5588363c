// Who the page signs in as. In the demo, the gateway serves demo/personas.json (each persona
// with a fresh development-issuer token, and the example week); outside the demo there is no
// such endpoint and a real frontend would get its token from the national SSO instead.

export interface Persona {
  name: string;
  description: string;
  token: string;
}

export interface DemoSession {
  personas: Persona[];
  defaultPersona: string;
  from: string;
  to: string;
  note: string | null;
}

interface PersonasDocument {
  default: string;
  personas: Persona[];
  variables: { from: string; to: string };
  note: string | null;
}

/** The gateway's GraphQL endpoint, beside the page (/example/ → /graphql). */
export const GRAPHQL_URL = new URL('../graphql', window.location.href).href;

export async function loadDemoSession(): Promise<DemoSession> {
  const response = await fetch(new URL('../demo/personas.json', window.location.href), {
    headers: { Accept: 'application/json' },
  });
  if (!response.ok) {
    throw new Error(`the demo's personas are not served here (HTTP ${response.status})`);
  }
  const document = (await response.json()) as PersonasDocument;
  return {
    // the personas a parent's page makes sense for
    personas: document.personas.filter((p) => p.name.includes('parent')),
    defaultPersona: document.default,
    from: document.variables.from,
    to: document.variables.to,
    note: document.note,
  };
}

/** ISO date `days` days after `iso` (dates only, no time zones involved). */
export function addDays(iso: string, days: number): string {
  const date = new Date(`${iso}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}
