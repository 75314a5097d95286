import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { createSchema } from './schema';

/** The SDL of the public GraphQL API, sorted so that diffs of schema.graphql show real changes only. */
export async function schemaSdl(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await createSchema()))}\n`;
}

export const SCHEMA_FILE = path.join(__dirname, '..', '..', 'schema.graphql');

if (require.main === module) {
  void schemaSdl().then((sdl) => {
    // When run from dist/, write next to package.json all the same.
    const target = fs.existsSync(path.join(process.cwd(), 'package.json')) ? path.join(process.cwd(), 'schema.graphql') : SCHEMA_FILE;
    fs.writeFileSync(target, sdl);
    console.log(`Wrote ${target}`);
  });
}
