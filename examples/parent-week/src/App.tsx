import { useEffect, useMemo, useState } from 'react';
import { Client, Provider, cacheExchange, fetchExchange } from 'urql';

import { Week } from './Week';
import { type DemoSession, GRAPHQL_URL, addDays, loadDemoSession } from './session';

function clientFor(token: string): Client {
  return new Client({
    url: GRAPHQL_URL,
    exchanges: [cacheExchange, fetchExchange],
    preferGetMethod: false,
    fetchOptions: { headers: { Authorization: `Bearer ${token}` } },
  });
}

export function App() {
  const [session, setSession] = useState<DemoSession | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [personaName, setPersonaName] = useState<string>('');
  const [monday, setMonday] = useState<string>('');

  useEffect(() => {
    loadDemoSession()
      .then((loaded) => {
        setSession(loaded);
        setPersonaName(loaded.defaultPersona);
        setMonday(loaded.from);
      })
      .catch((error: unknown) => setFailure(String(error)));
  }, []);

  const persona = session?.personas.find((p) => p.name === personaName);
  const client = useMemo(() => (persona ? clientFor(persona.token) : null), [persona]);

  return (
    <div className="page">
      <header className="top">
        <h1>Неделя</h1>
        {session && (
          <div className="controls">
            <button type="button" onClick={() => setMonday(addDays(monday, -7))} aria-label="previous week">
              ←
            </button>
            <span className="range" data-testid="range">
              {monday} — {addDays(monday, 6)}
            </span>
            <button type="button" onClick={() => setMonday(addDays(monday, 7))} aria-label="next week">
              →
            </button>
            <label>
              Persona{' '}
              <select value={personaName} onChange={(event) => setPersonaName(event.target.value)}>
                {session.personas.map((p) => (
                  <option key={p.name} value={p.name} title={p.description}>
                    {p.name}
                  </option>
                ))}
              </select>
            </label>
            <a href="../">demo home</a>
          </div>
        )}
      </header>
      {session?.note && monday === session.from && <p className="note">{session.note}</p>}
      {failure && <p className="error">Cannot sign in: {failure}</p>}
      {client && (
        <Provider value={client}>
          <Week key={personaName} from={monday} to={addDays(monday, 6)} />
        </Provider>
      )}
    </div>
  );
}
