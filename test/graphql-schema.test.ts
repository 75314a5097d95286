import fs from 'node:fs';
import path from 'node:path';
import {
  GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isIntrospectionType,
  isSpecifiedScalarType,
} from 'graphql';
import { createSchema } from '../src/graphql/schema';
import { schemaSdl } from '../src/graphql/emit-schema';

/** The committed schema.graphql is the public contract: it must match the code, and everything in it is documented. */
let schema: GraphQLSchema;

beforeAll(async () => {
  schema = await createSchema();
});

test('schema.graphql is up to date (run `npm run schema:emit` after changing the API)', async () => {
  const committed = fs.readFileSync(path.join(__dirname, '..', 'schema.graphql'), 'utf8');
  expect(await schemaSdl()).toBe(committed);
});

test('every type, field, argument, enum value and input field has a description', () => {
  const missing: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
    if (!type.description) missing.push(type.name);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (!field.description) missing.push(`${type.name}.${field.name}`);
        for (const arg of field.args) if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) if (!field.description) missing.push(`${type.name}.${field.name}`);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) if (!value.description) missing.push(`${type.name}.${value.name}`);
    }
  }
  expect(missing).toEqual([]);
});

test('the names clients rely on exist', () => {
  const query = schema.getQueryType()!.getFields();
  const mutation = schema.getMutationType()!.getFields();
  expect(Object.keys(query)).toEqual(expect.arrayContaining(['employee', 'employees', 'node']));
  expect(Object.keys(mutation)).toEqual(expect.arrayContaining(['createEmployee', 'updateEmployee', 'setEmployeeStatus']));
  const employee = schema.getType('Employee');
  expect(isObjectType(employee) && Object.keys(employee.getFields())).toEqual(
    expect.arrayContaining(['id', 'username', 'firstName', 'lastName', 'email', 'status', 'managedBy', 'lockedFields', 'primaryRole', 'team']),
  );
  const fields = schema.getType('EmployeeField');
  expect(isEnumType(fields) && fields.getValues().map((v) => v.name)).toEqual(
    expect.arrayContaining(['USERNAME', 'FIRST_NAME', 'LAST_NAME', 'EMAIL', 'STATUS']),
  );
});
