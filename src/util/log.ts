/**
 * Every line the Worker prints is one JSON object: request lines (`msg:
 * "request"`, from `observe`) and warnings alike, so a log pipeline parses
 * them all the same way. Messages never hold a token, a secret or a URL
 * (causes go through `describeCause`).
 *
 * @example
 * warningLine('edge-auth: session cache unavailable') // '{"level":"warn","msg":"session cache unavailable"}'
 */
export function warningLine(message: string): string {
  return JSON.stringify({ level: 'warn', msg: message.replace(/^edge-auth: /, '') });
}

/** Writes a warning as one JSON line on stderr: the default sink of every component. */
export function warn(message: string): void {
  console.error(warningLine(message));
}
