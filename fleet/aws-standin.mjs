// The local fleet's stand-in for the AWS CLI inside instance sandboxes, so a step can read Parameter
// Store itself as it would on a real host with its instance role:
//
//   aws ssm get-parameter --name '/db/pg-a/password' --with-decryption --query Parameter.Value --output text
//
// The fleet writes this file to <stateDir>/bin/aws at start (with a `#!<node>` shebang) and puts
// that directory first on the step PATH; AWS_ENDPOINT_URL_SSM in the step env names the fleet.
// Only `ssm get-parameter` exists here; anything else is a usage error (exit 252) naming what is
// supported. Service errors print as the CLI prints them (exit 254). The parameter value goes to
// stdout and nowhere else: nothing is logged.
//
// No static imports and no top-level await: the file runs whether Node loads it as CommonJS or as
// an ES module (an extensionless file takes the module type of the nearest package.json).
/* global setTimeout, Buffer */

const SUPPORTED = 'aws ssm get-parameter --name NAME [--with-decryption] [--query Parameter.Value] [--output text|json] [--region REGION]';

// The AWS CLI's exit codes.
const EXIT_USAGE = 252;
const EXIT_CONFIG = 253;
const EXIT_SERVICE = 254;
const EXIT_OTHER = 255;

class CliExit extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const usage = (problem) => new CliExit(EXIT_USAGE, `aws: error: ${problem}\nThe local fleet's aws stand-in supports only: ${SUPPORTED}`);

/** Options and positionals as the CLI takes them: `--key value` or `--key=value`, anywhere on the line. */
function parseArgs(argv) {
  const positionals = [];
  const opts = { name: undefined, withDecryption: false, query: undefined, output: undefined, version: false, unsupported: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const key = eq === -1 ? arg : arg.slice(0, eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    const value = () => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw usage(`argument ${key}: expected one argument`);
      i++;
      return next;
    };
    const flag = () => {
      if (inline !== undefined) throw usage(`argument ${key}: ignored explicit argument`);
      return true;
    };
    switch (key) {
      case '--name':
        opts.name = value();
        break;
      case '--with-decryption':
        opts.withDecryption = flag();
        break;
      case '--no-with-decryption':
        opts.withDecryption = !flag();
        break;
      case '--query':
        opts.query = value();
        break;
      case '--output':
        opts.output = value();
        break;
      case '--region':
        value(); // The fleet serves one region.
        break;
      case '--version':
        opts.version = flag();
        break;
      default:
        // Reported once the command is known to be get-parameter; its value (if any) is skipped.
        opts.unsupported ??= key;
        if (inline === undefined && argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) i++;
    }
  }
  return { positionals, opts };
}

/** A `--query` of dotted names (Parameter.Value, Parameter.Version, Parameter); no other JMESPath. */
function compileQuery(query) {
  if (query === undefined) return (v) => v;
  if (!/^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/.test(query))
    throw usage(`unsupported --query expression (only dotted names such as Parameter.Value)`);
  const path = query.split('.');
  return (v) => path.reduce((node, key) => (node !== null && typeof node === 'object' && key in node ? node[key] : null), v);
}

/** Epoch seconds as the CLI shows timestamps (ISO 8601 with microseconds and an offset). */
function isoTimestamp(seconds) {
  return new Date(seconds * 1000).toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00');
}

function textScalar(v) {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return String(v);
}

/** The CLI's text output: scalars of an object on one tab-separated line (keys sorted), nested objects below. */
function formatText(v, identifier) {
  if (v === null || typeof v !== 'object') return `${textScalar(v)}\n`;
  if (Array.isArray(v)) return v.map((item) => formatText(item, identifier)).join('');
  const keys = Object.keys(v).sort();
  const scalars = keys.filter((k) => v[k] === null || typeof v[k] !== 'object').map((k) => textScalar(v[k]));
  const nested = keys.filter((k) => v[k] !== null && typeof v[k] === 'object');
  let out = scalars.length > 0 ? `${[...(identifier ? [identifier.toUpperCase()] : []), ...scalars].join('\t')}\n` : '';
  for (const k of nested) out += formatText(v[k], k);
  return out;
}

function post(endpoint, target, body) {
  return import(endpoint.protocol === 'https:' ? 'node:https' : 'node:http').then(
    (http) =>
      new Promise((resolve, reject) => {
        const text = JSON.stringify(body);
        const req = http.request(
          endpoint,
          {
            method: 'POST',
            headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target, 'content-length': Buffer.byteLength(text) },
          },
          (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(text);
      }),
  );
}

const RETRYABLE = new Set([
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
]);

/** One API call with the CLI's standard retry mode (3 attempts, AWS_MAX_ATTEMPTS), a short backoff for a local endpoint. */
async function call(endpoint, operation, body) {
  const maxAttempts = Math.max(1, Number(process.env.AWS_MAX_ATTEMPTS) || 3);
  for (let attempt = 1; ; attempt++) {
    let failure;
    try {
      const res = await post(endpoint, `AmazonSSM.${operation}`, body);
      let parsed = {};
      try {
        parsed = res.text.trim() === '' ? {} : JSON.parse(res.text);
      } catch {
        parsed = {};
      }
      if (res.status >= 200 && res.status < 300) return parsed;
      const type = String(parsed.__type ?? (res.status >= 500 ? 'InternalServerError' : 'UnknownError'))
        .split('#')
        .pop();
      const message = String(parsed.message ?? parsed.Message ?? '');
      failure = { retry: RETRYABLE.has(type) || res.status >= 500, service: true, type, message };
    } catch (err) {
      failure = { retry: true, service: false, code: err.code };
    }
    if (!failure.retry || attempt >= maxAttempts) {
      const retries = attempt > 1 ? ` (reached max retries: ${attempt - 1})` : '';
      if (failure.service) {
        throw new CliExit(
          EXIT_SERVICE,
          `\nAn error occurred (${failure.type}) when calling the ${operation} operation${retries}: ${failure.message}`,
        );
      }
      const url = `${endpoint.href}`;
      throw new CliExit(
        EXIT_OTHER,
        failure.code === 'ECONNREFUSED'
          ? `\nCould not connect to the endpoint URL: "${url}"`
          : `\nConnection was closed before we received a valid response from endpoint URL: "${url}".`,
      );
    }
    await new Promise((r) => setTimeout(r, Math.random() * 50 * 2 ** attempt));
  }
}

async function main(argv) {
  const { positionals, opts } = parseArgs(argv);
  if (opts.version && opts.unsupported === undefined) {
    process.stdout.write('aws-cli/2.0.0 (ssmflow local fleet stand-in)\n');
    return 0;
  }
  if (positionals.length === 0) throw usage('the following arguments are required: command');
  const [service, operation, ...extra] = positionals;
  if (service !== 'ssm' || operation !== 'get-parameter' || extra.length > 0) {
    throw usage(`unsupported command 'aws ${[service, operation].filter(Boolean).join(' ')}'`);
  }
  // Only the option's name: its value could be anything, a secret included.
  if (opts.unsupported !== undefined) throw usage(`unsupported option ${opts.unsupported}`);
  if (opts.name === undefined || opts.name === '') throw usage('the following arguments are required: --name');
  const output = opts.output ?? process.env.AWS_DEFAULT_OUTPUT ?? 'json';
  if (output !== 'text' && output !== 'json') throw usage(`unsupported --output ${output} (text or json)`);
  const select = compileQuery(opts.query);
  const raw = process.env.AWS_ENDPOINT_URL_SSM || process.env.AWS_ENDPOINT_URL;
  if (!raw)
    throw new CliExit(EXIT_CONFIG, "aws: the local fleet's aws stand-in needs AWS_ENDPOINT_URL_SSM (the fleet sets it in every step)");
  let endpoint;
  try {
    endpoint = new URL(raw);
  } catch {
    throw new CliExit(EXIT_CONFIG, `aws: AWS_ENDPOINT_URL_SSM is not a URL`);
  }

  const response = await call(endpoint, 'GetParameter', { Name: opts.name, WithDecryption: opts.withDecryption });
  if (response.Parameter && typeof response.Parameter.LastModifiedDate === 'number') {
    response.Parameter.LastModifiedDate = isoTimestamp(response.Parameter.LastModifiedDate);
  }
  const result = select(response);
  process.stdout.write(output === 'json' ? `${JSON.stringify(result, null, 4)}\n` : formatText(result, undefined));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    if (err instanceof CliExit) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = err.code;
    } else {
      process.stderr.write(`\n${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = EXIT_OTHER;
    }
  },
);
