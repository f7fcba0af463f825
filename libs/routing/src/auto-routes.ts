/**
 * Rule-based model routes (`router_settings.auto_routes`): a virtual model (say `auto`) whose requests go to a
 * model group chosen by rules on what the request holds, first match wins, else the route's default. The cost
 * routing users otherwise build in front of the gateway: short prompts to a cheap model, images to a vision
 * model, code to a coding model.
 */

/** One rule: every condition it sets must hold. */
export interface AutoRouteRule {
  /** Shown in the x-switchyard-auto-route header and logs. */
  name: string;
  /** The model (group, alias, ...) the request goes to when the rule matches. */
  model: string;
  minPromptTokens?: number;
  maxPromptTokens?: number;
  /** true: the request sends tools; false: it sends none. */
  tools?: boolean;
  /** true: a message holds an image; false: none does. */
  images?: boolean;
  /** One of the request's `metadata.tags`. */
  tag?: string;
  /** Tested against the end of the last user message's text (at most AUTO_ROUTE_TEXT_CHARS characters). */
  pattern?: RegExp;
}

export interface AutoRoute {
  /** The virtual model clients ask for. */
  model: string;
  rules: readonly AutoRouteRule[];
  /** Where requests no rule matches go. */
  default: string;
}

/** What the rules read of a request. The last user message is read only when a rule has a pattern. */
export interface AutoRouteFacts {
  promptTokens: number;
  tools: boolean;
  images: boolean;
  tags: readonly string[];
  lastUserText: () => string;
}

/** A pattern sees at most this many characters (the end of the message), which bounds its running time. */
export const AUTO_ROUTE_TEXT_CHARS = 4096;
/** Longest pattern accepted. */
export const AUTO_ROUTE_PATTERN_CHARS = 256;

/** The route's target for a request, and the rule that chose it (`default` when none matched). */
export function chooseAutoRoute(route: AutoRoute, facts: AutoRouteFacts): { model: string; rule: string } {
  let text: string | undefined;
  for (const r of route.rules) {
    if (r.minPromptTokens !== undefined && facts.promptTokens < r.minPromptTokens) continue;
    if (r.maxPromptTokens !== undefined && facts.promptTokens > r.maxPromptTokens) continue;
    if (r.tools !== undefined && r.tools !== facts.tools) continue;
    if (r.images !== undefined && r.images !== facts.images) continue;
    if (r.tag !== undefined && !facts.tags.includes(r.tag)) continue;
    if (r.pattern) {
      text ??= facts.lastUserText().slice(-AUTO_ROUTE_TEXT_CHARS);
      r.pattern.lastIndex = 0;
      if (!r.pattern.test(text)) continue;
    }
    return { model: r.model, rule: r.name };
  }
  return { model: route.default, rule: 'default' };
}

/**
 * Compiles a rule's pattern, refusing what could make matching slow (JavaScript's regular expressions backtrack):
 * back-references, and a quantified group that holds a quantifier itself (`(a+)+`, `(\w*)*`, `(a|b+){2,}`), the
 * shapes that take exponential time. With the text bounded too, every accepted pattern runs in bounded time.
 * Throws an Error saying what to change.
 */
export function compileRoutePattern(source: string, ignoreCase = false): RegExp {
  if (source.length === 0 || source.length > AUTO_ROUTE_PATTERN_CHARS)
    throw new Error(`the pattern must be 1 to ${AUTO_ROUTE_PATTERN_CHARS} characters long`);
  if (/\\[1-9]|\\k</.test(source)) throw new Error('back-references (\\1, \\k<name>) are not allowed');
  checkNestedQuantifiers(source);
  try {
    return new RegExp(source, ignoreCase ? 'iu' : 'u');
  } catch (e) {
    throw new Error(`not a valid regular expression: ${(e as Error).message}`);
  }
}

function checkNestedQuantifiers(source: string): void {
  /** For each open group: whether a quantifier appeared inside it. */
  const stack: boolean[] = [];
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') stack.push(false);
    else if (c === ')') {
      const inner = stack.pop() ?? false;
      const next = source[i + 1];
      const quantified = next === '*' || next === '+' || next === '{' || next === '?';
      if (inner && quantified && next !== '?')
        throw new Error(
          `the group ending at character ${i + 1} repeats a part that repeats itself (like (a+)+), which can take exponential time; rewrite it without the nesting`,
        );
      if (stack.length > 0 && (inner || quantified)) stack[stack.length - 1] = true;
    } else if ((c === '*' || c === '+' || c === '{') && stack.length > 0) {
      stack[stack.length - 1] = true;
    }
  }
}
