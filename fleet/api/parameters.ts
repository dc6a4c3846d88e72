import { type FleetContext, type JsonObject } from '../context.js';
import { SsmError } from '../errors.js';
import { ParameterStore, type ParameterType, type ResolvedParameter } from '../parameter-store.js';
import { ConstraintCheck, field } from '../validation.js';

function parameterShape(ctx: FleetContext, p: ResolvedParameter, withDecryption: boolean): JsonObject {
  return {
    Name: p.name,
    Type: p.type,
    Value: ParameterStore.visibleValue(p, withDecryption),
    Version: p.version,
    ...(p.selector ? { Selector: p.selector } : {}),
    LastModifiedDate: p.lastModified / 1000,
    ARN: ctx.parameters.arn(p.name),
    DataType: 'text',
  };
}

export function getParameter(ctx: FleetContext, body: JsonObject): JsonObject {
  const name = field<string>(body, 'Name', 'string');
  const withDecryption = field<boolean>(body, 'WithDecryption', 'boolean') ?? false;
  new ConstraintCheck().required(name, 'name').length(name, 'name', 1, 2048).done();
  return { Parameter: parameterShape(ctx, ctx.parameters.get(name ?? ''), withDecryption) };
}

export function getParameters(ctx: FleetContext, body: JsonObject): JsonObject {
  const names = field<string[]>(body, 'Names', 'array');
  const withDecryption = field<boolean>(body, 'WithDecryption', 'boolean') ?? false;
  new ConstraintCheck().required(names, 'names').count(names, 'names', 1, 10).done();
  const found: ResolvedParameter[] = [];
  const invalid: string[] = [];
  for (const name of names ?? []) {
    let p: ResolvedParameter | undefined;
    try {
      p = ctx.parameters.find(name);
    } catch (err) {
      if (!(err instanceof SsmError)) throw err;
    }
    if (p) found.push(p);
    else invalid.push(name);
  }
  found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { Parameters: found.map((p) => parameterShape(ctx, p, withDecryption)), InvalidParameters: invalid };
}

export function putParameter(ctx: FleetContext, body: JsonObject): JsonObject {
  const name = field<string>(body, 'Name', 'string');
  const value = field<string>(body, 'Value', 'string');
  const type = field<string>(body, 'Type', 'string');
  const overwrite = field<boolean>(body, 'Overwrite', 'boolean') ?? false;
  const description = field<string>(body, 'Description', 'string');
  new ConstraintCheck()
    .required(name, 'name')
    .required(value, 'value')
    .length(name, 'name', 1, 2048)
    .length(value, 'value', 1, 4096)
    .length(description, 'description', 0, 1024)
    .oneOf(type, 'type', ['String', 'StringList', 'SecureString'])
    .done();
  const { version } = ctx.parameters.put({
    name: name ?? '',
    value: value ?? '',
    overwrite,
    ...(type ? { type: type as ParameterType } : {}),
    ...(description !== undefined ? { description } : {}),
  });
  return { Version: version, Tier: 'Standard' };
}
