import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { miniStackApiUrl } from '../../local/ministack.js';
import { removeResourceTypes } from '../../scripts/deploy-local.js';

// A cloud assembly shaped like `cdk synth` writes it: the stack's template is a file asset named by its hash.
const OLD_HASH = 'a'.repeat(64);

const writeAssembly = async (dir: string, resources: Record<string, unknown>) => {
  await writeFile(
    join(dir, 'manifest.json'),
    JSON.stringify({
      artifacts: {
        Demo: {
          properties: {
            templateFile: 'Demo.template.json',
            stackTemplateAssetObjectUrl: `s3://cdk-assets/${OLD_HASH}.json`,
          },
        },
        'Demo.assets': { properties: { file: 'Demo.assets.json' } },
      },
    }),
  );
  await writeFile(
    join(dir, 'Demo.assets.json'),
    JSON.stringify({
      files: {
        [OLD_HASH]: {
          source: { path: 'Demo.template.json' },
          destinations: { current: { bucketName: 'cdk-assets', objectKey: `${OLD_HASH}.json` } },
        },
      },
    }),
  );
  await writeFile(join(dir, 'Demo.template.json'), JSON.stringify({ Resources: resources }));
};

const readJson = async (path: string): Promise<unknown> => JSON.parse(await readFile(path, 'utf8'));

describe('removeResourceTypes', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'opentrail-assembly-test-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('removes the resources of the given types and renames the template asset after its new content', async () => {
    // Prepare
    await writeAssembly(dir, {
      Table: { Type: 'AWS::Glue::Table', Properties: { Name: 'events_raw' } },
      QueryA: { Type: 'AWS::Athena::NamedQuery', Properties: { QueryString: 'SELECT 1' } },
      QueryB: { Type: 'AWS::Athena::NamedQuery', Properties: { QueryString: 'SELECT 2' } },
    });

    // Act
    const removed = await removeResourceTypes(dir, 'Demo', ['AWS::Athena::NamedQuery']);

    // Assess
    expect(removed).toEqual({ 'AWS::Athena::NamedQuery': ['QueryA', 'QueryB'] });
    const templateText = await readFile(join(dir, 'Demo.template.json'), 'utf8');
    expect(JSON.parse(templateText)).toEqual({
      Resources: { Table: { Type: 'AWS::Glue::Table', Properties: { Name: 'events_raw' } } },
    });
    const newHash = createHash('sha256').update(templateText).digest('hex');
    expect(await readJson(join(dir, 'Demo.assets.json'))).toEqual({
      files: {
        [newHash]: {
          source: { path: 'Demo.template.json' },
          destinations: { current: { bucketName: 'cdk-assets', objectKey: `${newHash}.json` } },
        },
      },
    });
    expect(await readJson(join(dir, 'manifest.json'))).toMatchObject({
      artifacts: { Demo: { properties: { stackTemplateAssetObjectUrl: `s3://cdk-assets/${newHash}.json` } } },
    });
  });

  it('leaves the assembly as it was when no resource has one of the types', async () => {
    // Prepare
    await writeAssembly(dir, { Table: { Type: 'AWS::Glue::Table' } });
    const before = await readFile(join(dir, 'manifest.json'), 'utf8');

    // Act
    const removed = await removeResourceTypes(dir, 'Demo', ['AWS::Athena::NamedQuery']);

    // Assess
    expect(removed).toEqual({});
    expect(await readFile(join(dir, 'manifest.json'), 'utf8')).toBe(before);
  });

  it('refuses when a resource left in the template refers to a removed one', async () => {
    // Prepare
    await writeAssembly(dir, {
      Query: { Type: 'AWS::Athena::NamedQuery' },
      Alarm: { Type: 'AWS::CloudWatch::Alarm', Properties: { AlarmDescription: { Ref: 'Query' } } },
    });

    // Act
    const removing = removeResourceTypes(dir, 'Demo', ['AWS::Athena::NamedQuery']);

    // Assess
    await expect(removing).rejects.toThrow('Cannot leave out Query: other parts of Demo refer to them');
  });
});

describe('miniStackApiUrl', () => {
  it("maps the ApiUrl output to the API's $default stage on the MiniStack port", () => {
    // Act
    const url = miniStackApiUrl(
      'http://127.0.0.1:4566',
      'https://ab12cd34.execute-api.us-east-1.amazonaws.com/',
    );

    // Assess
    expect(url).toBe('http://127.0.0.1:4566/_aws/execute-api/ab12cd34/$default/');
  });

  it('refuses a URL that is not an API Gateway URL', () => {
    // Act
    const mapping = () => miniStackApiUrl('http://127.0.0.1:4566', 'https://example.com/');

    // Assess
    expect(mapping).toThrow('Not an API Gateway URL: https://example.com/');
  });
});
