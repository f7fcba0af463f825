import type { CredentialSource, Credentials } from '../credentials/credentials.types';
import type { ProviderDeployment } from '../provider-deployment';

type Env = Readonly<Record<string, string | undefined>>;

/** The litellm_params a bedrock deployment may carry (the bedrock family's settings, read by name). */
interface BedrockSettings {
  aws_access_key_id?: string;
  aws_secret_access_key?: string;
  aws_session_token?: string;
  aws_region_name?: string;
  aws_bedrock_runtime_endpoint?: string;
  [field: string]: unknown;
}

export function bedrockSettings(deployment: Pick<ProviderDeployment, 'params'>): BedrockSettings {
  return (deployment.params ?? {}) as BedrockSettings;
}

/**
 * LiteLLM settings that obtain AWS credentials through STS (assumed roles, web identity, named profiles).
 * Switchyard does not do these exchanges yet: a deployment that sets one is refused when the config loads,
 * rather than run with other credentials than the operator meant.
 */
const STS_SETTINGS = [
  'aws_role_name',
  'aws_session_name',
  'aws_profile_name',
  'aws_web_identity_token',
  'aws_sts_endpoint',
  'aws_external_id',
] as const;

/** Model routes LiteLLM knows under `bedrock/`: Converse is the one this adapter speaks. */
const CONVERSE_ROUTE = 'converse/';
const OTHER_ROUTES = ['invoke/', 'openai/', 'agent/', 'agentcore/', 'async_invoke/'];

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

/**
 * What makes a bedrock deployment unusable, found from its config alone (no secret is read): settings
 * Switchyard does not act on yet, a model route other than Converse, an endpoint that is not a URL.
 * Undefined when it is fine. Checked when the translator loads its config, so the operator sees it at boot.
 */
export function bedrockConfigProblem(
  deployment: Pick<ProviderDeployment, 'model' | 'params' | 'apiKey' | 'apiBase'>,
): string | undefined {
  const s = bedrockSettings(deployment);
  const sts = STS_SETTINGS.filter((f) => s[f] !== undefined && s[f] !== null && s[f] !== '');
  if (sts.length > 0) {
    return `litellm_params ${sts.join(', ')} ${sts.length === 1 ? 'is' : 'are'} not supported for bedrock yet (no STS role, web identity or profile exchange); give aws_access_key_id and aws_secret_access_key (with aws_session_token for temporary keys), or the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY environment variables`;
  }
  if (deployment.apiKey !== undefined) {
    return 'litellm_params.api_key (a Bedrock API key) is not supported for bedrock yet; give aws_access_key_id and aws_secret_access_key instead';
  }
  const route = OTHER_ROUTES.find((r) => deployment.model.startsWith(r));
  if (route !== undefined) {
    return `the bedrock/${route} model route is not supported; Switchyard speaks the Converse API (write bedrock/<model id> or bedrock/converse/<model id>)`;
  }
  const endpoint = s.aws_bedrock_runtime_endpoint;
  if (endpoint !== undefined && !/^https?:\/\/[^/?#\s]+/.test(endpoint)) {
    return `litellm_params.aws_bedrock_runtime_endpoint must be an http(s) URL, got "${endpoint}"`;
  }
  const region = s.aws_region_name;
  if (region !== undefined && !REGION.test(region)) {
    return `litellm_params.aws_region_name "${region}" is not an AWS region name (like us-east-1)`;
  }
  return undefined;
}

/** The model id Converse takes, from the deployment's model (LiteLLM's `converse/` route prefix removed). */
export function bedrockModelId(model: string): string {
  return model.startsWith(CONVERSE_ROUTE) ? model.slice(CONVERSE_ROUTE.length) : model;
}

function first(env: Env, names: readonly string[]): string | undefined {
  for (const n of names) {
    const v = env[n];
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

/** The deployment's AWS region: `aws_region_name`, else AWS_REGION_NAME / AWS_REGION / AWS_DEFAULT_REGION. */
export function bedrockRegion(deployment: Pick<ProviderDeployment, 'params'>, env: Env): string | undefined {
  return (
    bedrockSettings(deployment).aws_region_name ?? first(env, ['AWS_REGION_NAME', 'AWS_REGION', 'AWS_DEFAULT_REGION'])
  );
}

/**
 * AWS signing keys for a bedrock deployment ("aws keys"): litellm_params aws_access_key_id,
 * aws_secret_access_key, aws_session_token and aws_region_name, each falling back to the environment
 * variables the AWS SDKs read (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION,
 * AWS_DEFAULT_REGION). Keys from the config and keys from the environment are never mixed: a config that
 * gives an access key id takes its secret (and session token) from the config too. Errors name the
 * missing setting, never a value.
 */
export function createBedrockCredentials(env: Env = process.env): CredentialSource {
  return {
    kind: 'aws keys',
    resolve(deployment): Credentials {
      const problem = bedrockConfigProblem(deployment);
      if (problem !== undefined) throw new Error(problem);
      const s = bedrockSettings(deployment);
      const fromConfig = s.aws_access_key_id !== undefined || s.aws_secret_access_key !== undefined;
      const accessKeyId = fromConfig ? s.aws_access_key_id : first(env, ['AWS_ACCESS_KEY_ID']);
      const secretAccessKey = fromConfig ? s.aws_secret_access_key : first(env, ['AWS_SECRET_ACCESS_KEY']);
      const sessionToken = fromConfig ? s.aws_session_token : first(env, ['AWS_SESSION_TOKEN']);
      if (accessKeyId === undefined || accessKeyId === '') {
        throw new Error(
          fromConfig
            ? 'litellm_params sets aws_secret_access_key but not aws_access_key_id; give both'
            : 'no AWS access key: set litellm_params.aws_access_key_id and aws_secret_access_key, or the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables',
        );
      }
      if (secretAccessKey === undefined || secretAccessKey === '') {
        throw new Error(
          fromConfig
            ? 'litellm_params sets aws_access_key_id but not aws_secret_access_key; give both'
            : 'AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both',
        );
      }
      const region = bedrockRegion(deployment, env);
      if (region === undefined) {
        throw new Error(
          'no AWS region: set litellm_params.aws_region_name (e.g. us-east-1), or the AWS_REGION or AWS_DEFAULT_REGION environment variable',
        );
      }
      if (!REGION.test(region)) throw new Error(`"${region}" is not an AWS region name (like us-east-1)`);
      return {
        aws: { accessKeyId, secretAccessKey, region, ...(sessionToken ? { sessionToken } : {}) },
      };
    },
  };
}
