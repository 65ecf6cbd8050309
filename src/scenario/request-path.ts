/**
 * Request paths as an HTTP client accepts them. undici refuses a path with a space or a
 * non-ASCII character (UND_ERR_INVALID_ARG), so a path is encoded once, when the scenario is
 * read, rather than failing request by request during a run. Pure.
 */

/** What a request target may carry as is: RFC 3986 unreserved, sub-delims, ":", "@", "/", "?" and "%". */
const SAFE = /[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]/;

/**
 * `path` with every character a request target may not carry percent-encoded (UTF-8), and a "%"
 * that does not start an escape written as "%25"; a path already encoded is left as it is.
 */
export function encodePath(path: string): string {
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i] as string;
    if (c === '%') {
      out += /^[0-9A-Fa-f]{2}$/.test(path.slice(i + 1, i + 3)) ? '%' : '%25';
    } else if (SAFE.test(c)) {
      out += c;
    } else {
      const code = path.codePointAt(i) as number;
      const char = String.fromCodePoint(code);
      // A lone surrogate has no UTF-8 form: it is sent as U+FFFD, as a browser would.
      out += char.length === 1 && code >= 0xd800 && code <= 0xdfff ? '%EF%BF%BD' : encodeURIComponent(char);
      i += char.length - 1;
    }
  }
  return out;
}

/** Index of the first control character (U+0000–U+001F, U+007F) in `text`, or -1. */
export function controlCharAt(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return i;
  }
  return -1;
}
