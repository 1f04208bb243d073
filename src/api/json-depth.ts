/**
 * A linear pass over raw JSON text that measures its nesting before anything parses or walks it,
 * so a deeply nested body (100,000 `[`) is refused up front instead of overflowing the stack of a
 * recursive reader later (the codec, the audit trail's redaction, a handler).
 *
 * @packageDocumentation
 */

/** Counts the work of {@link jsonDepth}, for tests that check it grows linearly with the input. */
export interface JsonDepthMeter {
  steps: number;
}

/**
 * The deepest nesting of arrays and objects in `text`, stopping as soon as it passes `limit`
 * (then returns `limit + 1`). Brackets inside strings do not count. One step per character; it
 * does not validate the JSON (JSON.parse does that afterwards, on text now known to be shallow).
 */
export function jsonDepth(text: string, limit: number, meter?: JsonDepthMeter): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  let i = 0;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > max) {
        max = depth;
        if (max > limit) break;
      }
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  if (meter) meter.steps += Math.min(i + 1, text.length);
  return max;
}
