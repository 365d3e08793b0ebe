/**
 * A URL as it may be logged: whatever sits before an `@` in its authority
 * (user and password) is cut, so a peer that announces
 * `https://user:secret@host/...` does not get its secret into our logs.
 */
export function loggableUrl(url: string, charsMax = 200): string {
  const cut = url.replace(/^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)[^/?#]*@/, "$1[Redacted]@");
  return cut.length > charsMax ? cut.slice(0, charsMax) + "…" : cut;
}
