// Which instances a command runs on: tags or instance ids, within SSM's own limits.
import { z } from 'zod';
import { exactlyOneInJsonSchema, requireExactlyOne } from './exactly-one.js';
import { templated } from './field-types.js';
import { withFix } from './fix-hint.js';

const INSTANCE_ID_OR_TEMPLATE_PATTERN = /^((i-(\w{8}|\w{17}))|(mi-\w{17})|(.*\{\{.*\}\}.*))$/;
const TAG_KEY_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=\-@]+$/u;

const tagKey = withFix(
  'must be a tag key: letters, digits, spaces and _ . : / = - @',
  'use the tag key as it is set on the instances, for example `Cluster`',
);
const instanceId = withFix(
  'must be an instance id (i-0123456789abcdef0, mi-…) or a {{ parameter }} template',
  'copy the id from the EC2 console or `aws ec2 describe-instances`',
);

export const Targets = exactlyOneInJsonSchema(
  requireExactlyOne(
    z.strictObject({
      tags: z
        .record(
          z.string().max(128).regex(TAG_KEY_PATTERN, tagKey),
          z.union([templated('Tag value.'), z.array(templated('Tag value.')).min(1).max(50)]),
        )
        .refine((tags) => Object.keys(tags).length >= 1 && Object.keys(tags).length <= 5, {
          error: 'must name 1 to 5 tag keys',
        })
        .optional()
        .describe('Instances carrying all of these tags (keys ANDed, a list of values ORed).'),
      instanceIds: z
        .array(z.string().regex(INSTANCE_ID_OR_TEMPLATE_PATTERN, instanceId))
        .min(1)
        .max(50)
        .optional()
        .describe('Up to 50 instance ids.'),
    }),
    ['tags', 'instanceIds'],
    'targets',
    'keep either `tags` or `instanceIds`',
  ).meta({ id: 'Targets', description: 'Which instances a command runs on: exactly one of `tags` or `instanceIds`.' }),
  ['tags', 'instanceIds'],
);
