/**
 * docs/protocol.md is the contract: every error code, close code and control message type
 * the code knows must be in its tables (and so a new one cannot land undocumented).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLIENT_MESSAGE_TYPES, CloseCode, HTTP_ERROR_CODES, HTTP_ERROR_STATUS, RELAY_ERROR_CODES, SERVER_MESSAGE_TYPES } from './index.ts';

const doc = readFileSync(new URL('../docs/protocol.md', import.meta.url), 'utf8');

/** The rows of the table under the heading `heading` (up to the next heading). */
function section(heading: string): string {
  const start = doc.indexOf(heading);
  if (start === -1) throw new Error(`docs/protocol.md has no heading ${heading}`);
  const next = doc.indexOf('\n#', start + heading.length);
  return doc.slice(start, next === -1 ? undefined : next);
}

describe('docs/protocol.md', () => {
  it('lists every server → client message type', () => {
    const table = section('### server → client');
    for (const type of SERVER_MESSAGE_TYPES) expect(table, type).toContain(`\`${type}\``);
  });

  it('lists every client → server message type', () => {
    const table = section('### client → server');
    for (const type of CLIENT_MESSAGE_TYPES) expect(table, type).toContain(`\`${type}\``);
  });

  it('lists every relay error code', () => {
    const text = section('### Close codes') + section('### Control errors') + section('### Connect');
    for (const code of RELAY_ERROR_CODES) expect(text, code).toContain(`\`${code}\``);
  });

  it('lists every close code the relay sends', () => {
    const table = section('### Close codes');
    for (const [name, code] of Object.entries(CloseCode)) {
      if (name === 'normal') continue; // sent by clients
      expect(table, name).toMatch(new RegExp(`\\| ${code} \\|`));
    }
  });

  it('lists every HTTP channel error code with its status', () => {
    const table = section('### HTTP errors');
    for (const code of HTTP_ERROR_CODES) expect(table, code).toMatch(new RegExp(`\\| ${HTTP_ERROR_STATUS[code]} \\| \`${code}\` \\|`));
  });
});
