import type { ProviderDeployment } from '../provider-deployment';
import { SECRET_FIELDS } from '../provider-params';

/**
 * Key shapes providers issue, masked wherever they appear in text that leaves a service (error bodies,
 * log lines): a provider that echoes the credential it was sent (or one quoted by the client) must not
 * hand it to the client. Each keeps a recognisable prefix, so the message still says what kind of key it was.
 */
const KEY_SHAPES: readonly [RegExp, string][] = [
  // OpenAI (sk-, sk-proj-), Anthropic (sk-ant-), restricted and publishable keys; DeepSeek, Moonshot...
  [/\b(sk|rk|pk)-[A-Za-z0-9_*-]{4,}/g, '$1-***'],
  [/\bsk_[A-Za-z0-9_*-]{8,}/g, 'sk_***'],
  // Groq, xAI, Perplexity, NVIDIA, Cerebras, Hugging Face, Replicate, Fireworks, OpenRouter (sk-or- above).
  [/\bgsk_[A-Za-z0-9_*-]{8,}/g, 'gsk_***'],
  [/\bxai-[A-Za-z0-9_*-]{8,}/g, 'xai-***'],
  [/\bpplx-[A-Za-z0-9_*-]{8,}/g, 'pplx-***'],
  [/\bnvapi-[A-Za-z0-9_*-]{8,}/g, 'nvapi-***'],
  [/\bcsk-[A-Za-z0-9_*-]{8,}/g, 'csk-***'],
  [/\bhf_[A-Za-z0-9_*-]{8,}/g, 'hf_***'],
  [/\br8_[A-Za-z0-9_*-]{8,}/g, 'r8_***'],
  [/\bfw_[A-Za-z0-9_*-]{8,}/g, 'fw_***'],
  // Google API keys.
  [/\bAIza[0-9A-Za-z_-]{20,}/g, 'AIza***'],
  // AWS access key ids (long-term AKIA, temporary ASIA, and the other documented prefixes).
  [/\b(AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{12,}\b/g, '$1***'],
  // JSON Web Tokens (Azure AD, Vertex access tokens are often JWT-shaped).
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, 'eyJ***'],
  // Google OAuth access tokens.
  [/\bya29\.[A-Za-z0-9._-]{8,}/g, 'ya29.***'],
  // Whatever follows an auth scheme or a key-carrying parameter.
  [/\b(Bearer|Basic|Token)(\s+)[A-Za-z0-9._~+/=*-]{6,}/gi, '$1$2***'],
  [
    /\b((?:api[_-]?key|x-api-key|x-goog-api-key|access[_-]?token|secret[_-]?(?:access[_-]?)?key|session[_-]?token)["']?\s*[:=]\s*["']?)[^\s"'&,;}]{6,}/gi,
    '$1***',
  ],
  [/([?&](?:key|token|sig)=)[^&\s"'#]{6,}/g, '$1***'],
  // OpenAI organisation ids name the operator's account.
  [/\borg-[A-Za-z0-9]{6,}\b/g, 'org-***'],
];

/** Masks every known key shape in `text`. */
export function redactKeyShapes(text: string): string {
  let out = text;
  for (const [re, by] of KEY_SHAPES) out = out.replace(re, by);
  return out;
}

/** Configured secrets shorter than this are not masked by value (they would mask ordinary words). */
const MIN_SECRET_LENGTH = 6;

/**
 * Every credential a deployment was configured with, as text that could be echoed: the api key, and each
 * secret setting of litellm_params (extra_headers values, aws_secret_access_key, vertex credentials...).
 */
export function deploymentSecrets(d: ProviderDeployment): string[] {
  const out: string[] = [];
  const add = (v: unknown): void => {
    if (typeof v === 'string') {
      if (v.length >= MIN_SECRET_LENGTH) out.push(v);
      // "Bearer <token>" in a header value: the token alone may be echoed too.
      const token = /^\s*(?:Bearer|Basic|Token)\s+(\S+)\s*$/i.exec(v)?.[1];
      if (token !== undefined && token.length >= MIN_SECRET_LENGTH) out.push(token);
    } else if (v !== null && typeof v === 'object') {
      for (const inner of Object.values(v as Record<string, unknown>)) add(inner);
    }
  };
  add(d.apiKey);
  const params = d.params as Record<string, unknown> | undefined;
  if (params !== undefined) for (const f of SECRET_FIELDS) add(params[f]);
  return out;
}

/**
 * A function masking `secrets` by value (as written, URL-encoded and JSON-escaped), then every key shape.
 * Longer secrets go first, so one that contains another is masked whole.
 */
export function createRedactor(secrets: Iterable<string>): (text: string) => string {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (s.length < MIN_SECRET_LENGTH) continue;
    forms.add(s);
    forms.add(encodeURIComponent(s));
    forms.add(JSON.stringify(s).slice(1, -1));
  }
  const ordered = [...forms].sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return redactKeyShapes;
  const re = new RegExp(ordered.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  return (text) => redactKeyShapes(text.replace(re, '***'));
}
