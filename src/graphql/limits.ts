import {
  ASTVisitor,
  DocumentNode,
  getIntrospectionQuery,
  getNamedType,
  getNullableType,
  FragmentDefinitionNode,
  GraphQLError,
  GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isObjectType,
  isUnionType,
  Kind,
  parse,
  SelectionSetNode,
  ValidationContext,
  ValidationRule,
} from 'graphql';
import { ComplexityEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';
import { DEFAULT_PAGE_SIZE } from './pagination';

/** Deepest selection nesting a query may have (introspection queries of tools such as Sandbox fit within it). */
export const MAX_DEPTH = 12;
/** Highest cost a query may have: each field costs 1, and a connection multiplies its children by `first`. */
export const MAX_COST = 10_000;
/** `__schema` fields an operation may hold (aliases and fragments included): one answers the whole schema. */
export const MAX_SCHEMA_FIELDS = 1;
/** `__type` fields an operation may hold (aliases and fragments included). */
export const MAX_TYPE_FIELDS = 10;
/** What the full standard introspection query (Sandbox's) costs; any other introspection costs in proportion. */
export const INTROSPECTION_COST = 1_000;

/** How many `__schema` and `__type` fields a selection set resolves, fragments expanded (each counted once per spread). */
function introspectionCount(
  selectionSet: SelectionSetNode | undefined,
  fragments: Record<string, FragmentDefinitionNode>,
  memo: Map<string, { schema: number; type: number }>,
  seen: Set<string>,
): { schema: number; type: number } {
  const total = { schema: 0, type: 0 };
  if (!selectionSet) return total;
  for (const selection of selectionSet.selections) {
    let inner: { schema: number; type: number };
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value === '__schema') total.schema++;
      else if (selection.name.value === '__type') total.type++;
      inner = introspectionCount(selection.selectionSet, fragments, memo, seen);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      inner = introspectionCount(selection.selectionSet, fragments, memo, seen);
    } else {
      const name = selection.name.value;
      if (seen.has(name) || !fragments[name]) continue; // cycles are reported by graphql's own rules
      let counted = memo.get(name);
      if (!counted) {
        counted = introspectionCount(fragments[name].selectionSet, fragments, memo, new Set([...seen, name]));
        memo.set(name, counted);
      }
      inner = counted;
    }
    // Capped so that fragments spread many times over cannot overflow the count.
    total.schema = Math.min(total.schema + inner.schema, Number.MAX_SAFE_INTEGER);
    total.type = Math.min(total.type + inner.type, Number.MAX_SAFE_INTEGER);
  }
  return total;
}

/**
 * Refuses operations with more than MAX_SCHEMA_FIELDS `__schema` or MAX_TYPE_FIELDS `__type` fields: without it, 1,100
 * aliased `__schema` fields in one 86 KB query answered 21 MB.
 */
export const introspectionLimit: ValidationRule = (context: ValidationContext): ASTVisitor => {
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const definition of context.getDocument().definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
  }
  const memo = new Map<string, { schema: number; type: number }>();
  return {
    OperationDefinition(node) {
      const { schema, type } = introspectionCount(node.selectionSet, fragments, memo, new Set());
      const refuse = (message: string) =>
        context.reportError(new GraphQLError(message, { nodes: [node], extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
      if (schema > MAX_SCHEMA_FIELDS) refuse(`The operation asks for __schema ${schema} times; the limit is ${MAX_SCHEMA_FIELDS}.`);
      if (type > MAX_TYPE_FIELDS) refuse(`The operation asks for __type ${type} times; the limit is ${MAX_TYPE_FIELDS}.`);
    },
  };
};

function depthOf(selectionSet: SelectionSetNode | undefined, fragments: Record<string, FragmentDefinitionNode>, seen: Set<string>): number {
  if (!selectionSet) return 0;
  let deepest = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith('__')) continue; // introspection has its own shape
      deepest = Math.max(deepest, 1 + depthOf(selection.selectionSet, fragments, seen));
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      deepest = Math.max(deepest, depthOf(selection.selectionSet, fragments, seen));
    } else {
      const name = selection.name.value;
      if (seen.has(name) || !fragments[name]) continue; // cycles are reported by graphql's own rules
      deepest = Math.max(deepest, depthOf(fragments[name].selectionSet, fragments, new Set([...seen, name])));
    }
  }
  return deepest;
}

/** Refuses operations nested deeper than MAX_DEPTH. */
export const depthLimit: ValidationRule = (context: ValidationContext): ASTVisitor => {
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const definition of context.getDocument().definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
  }
  return {
    OperationDefinition(node) {
      const depth = depthOf(node.selectionSet, fragments, new Set());
      if (depth > MAX_DEPTH) {
        context.reportError(
          new GraphQLError(`The query is nested ${depth} levels deep; the limit is ${MAX_DEPTH}.`, {
            nodes: [node],
            extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
          }),
        );
      }
    },
  };
};

/** A connection's children are paid for once per requested item (`first`, or the default page size). */
const connectionEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (!getNamedType(field.type).name.endsWith('Connection')) return undefined;
  const first = typeof args.first === 'number' && args.first > 0 ? args.first : DEFAULT_PAGE_SIZE;
  return 1 + childComplexity * first;
};

/** The longest list each introspection field can answer in this schema. */
function introspectionListSizes(schema: GraphQLSchema): Record<string, number> {
  const types = Object.values(schema.getTypeMap());
  const fieldLists = types.flatMap((type) => (isObjectType(type) || isInterfaceType(type) ? [Object.values(type.getFields())] : []));
  const max = (values: number[]) => Math.max(1, ...values);
  const args = max([...fieldLists.flat().map((field) => field.args.length), ...schema.getDirectives().map((d) => d.args.length)]);
  return {
    '__Schema.types': types.length,
    '__Schema.directives': schema.getDirectives().length,
    '__Type.fields': max(fieldLists.map((fields) => fields.length)),
    '__Type.interfaces': max(types.map((type) => (isObjectType(type) || isInterfaceType(type) ? type.getInterfaces().length : 0))),
    '__Type.possibleTypes': max(types.map((type) => (isUnionType(type) || isInterfaceType(type) ? schema.getPossibleTypes(type).length : 0))),
    '__Type.enumValues': max(types.map((type) => (isEnumType(type) ? type.getValues().length : 0))),
    '__Type.inputFields': max(types.map((type) => (isInputObjectType(type) ? Object.keys(type.getFields()).length : 0))),
    '__Field.args': args,
    '__Directive.args': args,
    '__Directive.locations': 20,
  };
}

/**
 * Introspection is paid for by what it can answer: a list of types, fields or arguments multiplies its children by the
 * longest such list in the schema, and a `__schema` or `__type` field costs that, scaled so that the full standard
 * introspection query costs INTROSPECTION_COST.
 */
function introspectionEstimator(sizes: Record<string, number>, scale: number): ComplexityEstimator {
  return ({ type, field, childComplexity }) => {
    if (field.name === '__schema' || field.name === '__type') return Math.ceil((1 + childComplexity) * scale);
    if (!type.name.startsWith('__')) return undefined;
    if (!isListType(getNullableType(field.type))) return 1 + childComplexity;
    return (1 + childComplexity) * (sizes[`${type.name}.${field.name}`] ?? Math.max(...Object.values(sizes)));
  };
}

const introspectionEstimators = new WeakMap<GraphQLSchema, ComplexityEstimator>();

function introspectionEstimatorFor(schema: GraphQLSchema): ComplexityEstimator {
  let estimator = introspectionEstimators.get(schema);
  if (!estimator) {
    const sizes = introspectionListSizes(schema);
    const standard = parse(
      getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true }),
    );
    const raw = getComplexity({ schema, query: standard, estimators: [introspectionEstimator(sizes, 1), simpleEstimator({ defaultComplexity: 1 })] });
    estimator = introspectionEstimator(sizes, INTROSPECTION_COST / raw);
    introspectionEstimators.set(schema, estimator);
  }
  return estimator;
}

/** The estimated cost of an operation, or a GraphQLError when it exceeds MAX_COST. */
export function checkCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown> | undefined,
): GraphQLError | undefined {
  let cost: number;
  try {
    cost = getComplexity({
      schema,
      query: document,
      operationName,
      variables: variables ?? {},
      estimators: [introspectionEstimatorFor(schema), connectionEstimator, simpleEstimator({ defaultComplexity: 1 })],
    });
  } catch (error) {
    // getComplexity coerces the variables before Apollo does, so a variable of the wrong shape (an unknown input
    // field such as "__proto__", an array for an ID) throws here; it is the client's mistake, not a 500.
    if (error instanceof GraphQLError) {
      return new GraphQLError(error.message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
    }
    throw error;
  }
  if (cost <= MAX_COST) return undefined;
  return new GraphQLError(`The query costs ${cost}, over the limit of ${MAX_COST}. Ask for fewer items (first) or fields.`, {
    extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
  });
}
