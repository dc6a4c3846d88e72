import { type FleetContext, type JsonObject } from '../context.js';
import { SsmError } from '../errors.js';
import { ConstraintCheck, field } from '../validation.js';

export function createDocument(ctx: FleetContext, body: JsonObject): JsonObject {
  const name = field<string>(body, 'Name', 'string');
  const content = field<string>(body, 'Content', 'string');
  const format = field<string>(body, 'DocumentFormat', 'string') ?? 'JSON';
  const type = field<string>(body, 'DocumentType', 'string') ?? 'Command';
  new ConstraintCheck()
    .required(content, 'content')
    .required(name, 'name')
    .length(content, 'content', 1, 10_000_000)
    .pattern(name, 'name', /^[a-zA-Z0-9_\-.]{3,128}$/)
    .oneOf(format, 'documentFormat', ['YAML', 'JSON', 'TEXT'])
    .done();
  if (type !== 'Command')
    throw new SsmError('InvalidDocumentContent', `The local fleet runs Command documents only (DocumentType ${type}).`);
  const doc = ctx.documents.create({ name: name ?? '', content: content ?? '', format: format as 'JSON' | 'YAML' | 'TEXT' });
  return { DocumentDescription: ctx.documents.describe(doc) };
}

export function describeDocument(ctx: FleetContext, body: JsonObject): JsonObject {
  const name = field<string>(body, 'Name', 'string');
  const version = field<string>(body, 'DocumentVersion', 'string');
  new ConstraintCheck()
    .required(name, 'name')
    .pattern(name, 'name', /^[a-zA-Z0-9_\-.:/]{3,128}$/)
    .pattern(version, 'documentVersion', /([$]LATEST|[$]DEFAULT|^[1-9][0-9]*$)/)
    .done();
  const doc = ctx.documents.get(name ?? '', version);
  return { Document: ctx.documents.describe(doc) };
}
