import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type DocumentConfig } from './config.js';
import { type DocumentParameterSpec, type ParameterKind, effectiveParameters, substituteParameters } from './document-parameters.js';
import { FLEET_ACCOUNT_ID, SsmError } from './errors.js';
import { readJsonIfExists, writeJsonAtomicSync } from './persistence.js';

/** One `aws:runShellScript` step of a document, before parameter substitution. */
export interface DocumentStep {
  /** The name GetCommandInvocation's PluginName and CommandPlugins[].Name report. */
  name: string;
  /** Folder of this step under `<plugin>/` in the S3 output layout (the step name without colons). */
  outputDir: string;
  inputs: Record<string, unknown>;
  onFailure?: 'exit';
  onSuccess?: 'exit';
}

export interface StoredDocument {
  name: string;
  content: string;
  format: 'JSON' | 'YAML';
  schemaVersion: string;
  description: string;
  parameters: Record<string, DocumentParameterSpec>;
  steps: DocumentStep[];
  createdDate: number;
  hash: string;
  builtin: boolean;
}

/** A step after substitution: what the agent runs. */
export interface RenderedStep {
  name: string;
  outputDir: string;
  commands: string[];
  workingDirectory: string;
  timeoutSeconds: number;
  onFailure?: 'exit';
  onSuccess?: 'exit';
}

const RUN_SHELL_SCRIPT_CONTENT = {
  schemaVersion: '1.2',
  description: 'Run a shell script or specify the commands to run.',
  parameters: {
    commands: {
      type: 'StringList',
      description: '(Required) Specify a shell script or a command to run.',
      minItems: 1,
      displayType: 'textarea',
    },
    workingDirectory: {
      type: 'String',
      default: '',
      description: '(Optional) The path to the working directory on your instance.',
      maxChars: 4096,
    },
    executionTimeout: {
      type: 'String',
      default: '3600',
      description:
        '(Optional) The time in seconds for a command to complete before it is considered to have failed. Default is 3600 (1 hour). Maximum is 172800 (48 hours).',
      allowedPattern: '([1-9][0-9]{0,4})|(1[0-6][0-9]{4})|(17[0-1][0-9]{3})|(172[0-7][0-9]{2})|(172800)',
    },
  },
  runtimeConfig: {
    'aws:runShellScript': {
      properties: [
        {
          id: '0.aws:runShellScript',
          runCommand: '{{ commands }}',
          workingDirectory: '{{ workingDirectory }}',
          timeoutSeconds: '{{ executionTimeout }}',
        },
      ],
    },
  },
};

const KINDS: readonly ParameterKind[] = ['String', 'StringList', 'Integer', 'Boolean', 'StringMap', 'MapList'];
const invalidContent = (message: string) => new SsmError('InvalidDocumentContent', message);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseParameterSpecs(raw: unknown): Record<string, DocumentParameterSpec> {
  if (raw === undefined) return {};
  if (!isObject(raw)) throw invalidContent('parameters must be a map of parameter definitions');
  const out: Record<string, DocumentParameterSpec> = {};
  for (const [name, def] of Object.entries(raw)) {
    if (!/^[a-zA-Z0-9]+$/.test(name)) throw invalidContent(`Parameter name ${name} is invalid: use letters and digits only`);
    if (!isObject(def) || !KINDS.includes(def.type as ParameterKind))
      throw invalidContent(`Parameter ${name} needs a type (${KINDS.join(', ')})`);
    const spec: DocumentParameterSpec = { type: def.type as ParameterKind };
    if (typeof def.description === 'string') spec.description = def.description;
    if (def.default !== undefined) spec.default = def.default;
    if (Array.isArray(def.allowedValues)) spec.allowedValues = def.allowedValues.map(String);
    if (typeof def.allowedPattern === 'string') spec.allowedPattern = def.allowedPattern;
    out[name] = spec;
  }
  return out;
}

/** Reads a Command document's content into parameters and steps (schema 2.2 mainSteps, or 1.2 runtimeConfig). */
export function parseDocumentContent(content: unknown): Pick<StoredDocument, 'schemaVersion' | 'description' | 'parameters' | 'steps'> {
  if (!isObject(content)) throw invalidContent('The document content must be an object');
  const schemaVersion = String(content.schemaVersion ?? '');
  const parameters = parseParameterSpecs(content.parameters);
  const description = typeof content.description === 'string' ? content.description : '';
  if (schemaVersion === '1.2') {
    const runtime = isObject(content.runtimeConfig) ? content.runtimeConfig['aws:runShellScript'] : undefined;
    const props = isObject(runtime) && Array.isArray(runtime.properties) ? runtime.properties : undefined;
    if (!props || props.length !== 1 || !isObject(props[0]))
      throw invalidContent('schema 1.2 documents need one aws:runShellScript property set');
    return {
      schemaVersion,
      description,
      parameters,
      steps: [{ name: 'aws:runShellScript', outputDir: '0.awsrunShellScript', inputs: props[0] }],
    };
  }
  if (schemaVersion !== '2.2')
    throw new SsmError('InvalidDocumentSchemaVersion', `The fleet runs Command documents of schemaVersion 2.2 (got '${schemaVersion}').`);
  if (!Array.isArray(content.mainSteps) || content.mainSteps.length === 0) throw invalidContent('mainSteps must list at least one step');
  const names = new Set<string>();
  const steps = content.mainSteps.map((raw, i): DocumentStep => {
    if (!isObject(raw)) throw invalidContent(`mainSteps[${i}] must be an object`);
    if (raw.action !== 'aws:runShellScript') {
      throw invalidContent(`mainSteps[${i}]: action ${String(raw.action)} is not supported by the local fleet (only aws:runShellScript)`);
    }
    if (typeof raw.name !== 'string' || !/^[a-zA-Z0-9_.:-]{1,64}$/.test(raw.name))
      throw invalidContent(`mainSteps[${i}].name is missing or invalid`);
    if (names.has(raw.name)) throw invalidContent(`Duplicate step name ${raw.name}`);
    names.add(raw.name);
    if (!isObject(raw.inputs) || raw.inputs.runCommand === undefined) throw invalidContent(`mainSteps[${i}].inputs.runCommand is required`);
    const step: DocumentStep = { name: raw.name, outputDir: raw.name.replaceAll(':', ''), inputs: raw.inputs };
    if (raw.onFailure === 'exit') step.onFailure = 'exit';
    if (raw.onSuccess === 'exit') step.onSuccess = 'exit';
    return step;
  });
  return { schemaVersion, description, parameters, steps };
}

/** The agent's timeoutSeconds rule: unparsable or outside 5..172800 falls back to 3600. */
export function agentTimeoutSeconds(raw: unknown): number {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  return Number.isInteger(n) && n >= 5 && n <= 172800 ? n : 3600;
}

function flattenCommands(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap((x) => (Array.isArray(x) ? x.map(String) : [typeof x === 'string' ? x : JSON.stringify(x)]));
  return v === undefined || v === null ? [] : [String(v)];
}

/** Command documents: the built-in AWS-RunShellScript plus custom documents from config and CreateDocument. */
export class DocumentRegistry {
  private readonly docs = new Map<string, StoredDocument>();
  private readonly dir: string;

  constructor(stateDir: string, configured: readonly DocumentConfig[]) {
    this.dir = join(stateDir, 'documents');
    const builtinText = JSON.stringify(RUN_SHELL_SCRIPT_CONTENT, null, 2);
    this.docs.set('AWS-RunShellScript', {
      name: 'AWS-RunShellScript',
      content: builtinText,
      format: 'JSON',
      ...parseDocumentContent(RUN_SHELL_SCRIPT_CONTENT),
      createdDate: Date.UTC(2017, 1, 14) / 1000,
      hash: createHash('sha256').update(builtinText).digest('hex'),
      builtin: true,
    });
    let files: string[];
    try {
      files = readdirSync(this.dir).filter((f) => f.endsWith('.json'));
    } catch {
      files = [];
    }
    for (const f of files) {
      const doc = readJsonIfExists<StoredDocument>(join(this.dir, f));
      if (doc) this.docs.set(doc.name, doc);
    }
    for (const d of configured) {
      if (this.docs.has(d.name)) continue;
      const text = typeof d.content === 'string' ? d.content : JSON.stringify(d.content);
      const format = typeof d.content === 'string' && !d.content.trimStart().startsWith('{') ? 'YAML' : 'JSON';
      try {
        this.create({ name: d.name, content: text, format });
      } catch (err) {
        throw new Error(`fleet config: documents: ${d.name}: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  create(input: { name: string; content: string; format: 'JSON' | 'YAML' | 'TEXT' }): StoredDocument {
    if (/^(aws|amazon|amzn)/i.test(input.name)) {
      throw new SsmError('ValidationException', 'Document names cannot start with the reserved prefixes aws, amazon or amzn.');
    }
    if (this.docs.has(input.name)) throw new SsmError('DocumentAlreadyExists', `Document with same name ${input.name} already exists`);
    if (Buffer.byteLength(input.content) > 64 * 1024)
      throw new SsmError('MaxDocumentSizeExceeded', 'The document exceeds the 64 KB size limit.');
    if (input.format === 'TEXT') throw invalidContent('Command documents must be JSON or YAML');
    let parsed: unknown;
    try {
      parsed = input.format === 'JSON' ? JSON.parse(input.content) : parseYaml(input.content);
    } catch (err) {
      throw invalidContent(`The content is not valid ${input.format}: ${(err as Error).message}`);
    }
    const doc: StoredDocument = {
      name: input.name,
      content: input.content,
      format: input.format,
      ...parseDocumentContent(parsed),
      createdDate: Date.now() / 1000,
      hash: createHash('sha256').update(input.content).digest('hex'),
      builtin: false,
    };
    this.docs.set(doc.name, doc);
    writeJsonAtomicSync(join(this.dir, `${encodeURIComponent(doc.name)}.json`), doc);
    return doc;
  }

  /** Finds a document by name or ARN and checks the requested version (documents here have version 1 only). */
  get(nameOrArn: string, version?: string): StoredDocument {
    const name = nameOrArn.replace(/^arn:aws[\w-]*:ssm:[^:]*:[^:]*:document\//, '');
    const doc = this.docs.get(name);
    if (!doc) throw new SsmError('InvalidDocument', `Document with name ${name} does not exist.`);
    if (version !== undefined && version !== '$DEFAULT' && version !== '$LATEST' && version !== '1') {
      throw new SsmError('InvalidDocumentVersion', `Document ${name} has no version ${version}.`);
    }
    return doc;
  }

  /** Validates SendCommand parameters and renders the steps the agent will run ({{ssm:…}} still unresolved). */
  render(doc: StoredDocument, supplied: Record<string, readonly string[]>): RenderedStep[] {
    const params = effectiveParameters(doc.name, doc.parameters, supplied);
    return doc.steps.map((step) => {
      const inputs = substituteParameters(step.inputs, params) as Record<string, unknown>;
      const rendered: RenderedStep = {
        name: step.name,
        outputDir: step.outputDir,
        commands: flattenCommands(inputs.runCommand),
        workingDirectory: typeof inputs.workingDirectory === 'string' ? inputs.workingDirectory : '',
        timeoutSeconds: agentTimeoutSeconds(inputs.timeoutSeconds),
      };
      if (step.onFailure) rendered.onFailure = step.onFailure;
      if (step.onSuccess) rendered.onSuccess = step.onSuccess;
      return rendered;
    });
  }

  /** The DocumentDescription shape of DescribeDocument / CreateDocument. */
  describe(doc: StoredDocument): Record<string, unknown> {
    return {
      Hash: doc.hash,
      HashType: 'Sha256',
      Name: doc.name,
      Owner: doc.builtin ? 'Amazon' : FLEET_ACCOUNT_ID,
      CreatedDate: doc.createdDate,
      Status: 'Active',
      DocumentVersion: '1',
      Description: doc.description,
      Parameters: Object.entries(doc.parameters).map(([Name, p]) => ({
        Name,
        Type: p.type,
        Description: p.description ?? '',
        ...(p.default !== undefined ? { DefaultValue: typeof p.default === 'string' ? p.default : JSON.stringify(p.default) } : {}),
      })),
      PlatformTypes: ['Linux', 'MacOS'],
      DocumentType: 'Command',
      SchemaVersion: doc.schemaVersion,
      LatestVersion: '1',
      DefaultVersion: '1',
      DocumentFormat: doc.format,
      Tags: [],
      ...(doc.builtin ? {} : { TargetType: '/' }),
    };
  }
}
