import { describe, expect, it } from 'vitest';
import { BadRequest, beginStatement, parseSqlRequest, parseTarget, statementKind } from './wire';

describe('statementKind', () => {
  it('takes the first keyword, skipping comments, whitespace and parentheses', () => {
    expect(statementKind('select 1')).toBe('SELECT');
    expect(statementKind('  -- why\n /* note */ update t set x = 1')).toBe('UPDATE');
    expect(statementKind('(SELECT 1) UNION (SELECT 2)')).toBe('SELECT');
    expect(statementKind('WITH x AS (SELECT 1) UPDATE t SET a = 1')).toBe('WITH');
    expect(statementKind('   ')).toBe('OTHER');
  });
});

describe('parseSqlRequest', () => {
  it('reads a single query and a transaction batch', () => {
    expect(parseSqlRequest({ query: 'SELECT $1', params: ['1', null, 2] })).toEqual({
      kind: 'query',
      query: { query: 'SELECT $1', params: ['1', null, '2'] },
    });
    expect(parseSqlRequest({ queries: [{ query: 'SELECT 1' }] })).toEqual({
      kind: 'transaction',
      queries: [{ query: 'SELECT 1', params: [] }],
    });
  });
  it('refuses malformed bodies', () => {
    for (const body of [
      null,
      'x',
      { query: 1 },
      { query: 'x', params: 'y' },
      { queries: {} },
      { query: 'x', params: [{}] },
    ]) {
      expect(() => parseSqlRequest(body)).toThrow(BadRequest);
    }
  });
});

describe('parseTarget', () => {
  it('takes user, password and database from the header and ignores host and port', () => {
    const target = parseTarget({
      'neon-connection-string': 'postgresql://al%40ice:p%3Ass@ep-x.example.com:6543/my_db?application_name=x',
    });
    expect(target).toEqual({ user: 'al@ice', password: 'p:ss', database: 'my_db' });
  });
  it('never echoes the connection string in its errors', () => {
    const secret = 'postgresql://u:hunter2@host/';
    const err = (() => {
      try {
        parseTarget({ 'neon-connection-string': secret });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(BadRequest);
    expect(err?.message).not.toContain('hunter2');
    expect(() => parseTarget({})).toThrow(/missing Neon-Connection-String/);
  });
});

describe('beginStatement', () => {
  it('maps the Neon-Batch-* headers to BEGIN options', () => {
    expect(beginStatement({})).toBe('BEGIN');
    expect(
      beginStatement({
        'neon-batch-isolation-level': 'RepeatableRead',
        'neon-batch-read-only': 'true',
        'neon-batch-deferrable': 'false',
      }),
    ).toBe('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY NOT DEFERRABLE');
  });
  it('refuses unknown values instead of guessing', () => {
    expect(() => beginStatement({ 'neon-batch-isolation-level': 'Snapshot' })).toThrow(BadRequest);
    expect(() => beginStatement({ 'neon-batch-read-only': 'yes' })).toThrow(BadRequest);
  });
});
