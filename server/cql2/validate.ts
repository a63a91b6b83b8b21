// Operand checks shared by both parsers: arity and the kind of value each CQL2 operator accepts.
import {
  ARITHMETIC_OPERATORS,
  ARRAY_FUNCTIONS,
  COMPARISON_OPERATORS,
  Cql2Error,
  SPATIAL_FUNCTIONS,
  TEMPORAL_FUNCTIONS,
  canonicalOperator,
  isBbox,
  isDate,
  isGeometry,
  isInterval,
  isOperation,
  isProperty,
  isTimestamp,
  type Cql2Expression,
  type Cql2Operation,
} from './model';

/** What an expression evaluates to, as far as can be told without data; `any` for properties and functions. */
export type Cql2Kind =
  'boolean' | 'number' | 'string' | 'instant' | 'interval' | 'geometry' | 'array' | 'any';

const COMPARISON = new Set<string>(COMPARISON_OPERATORS);
const ARITHMETIC = new Set<string>(ARITHMETIC_OPERATORS);
const SPATIAL = new Set<string>(SPATIAL_FUNCTIONS);
const TEMPORAL = new Set<string>(TEMPORAL_FUNCTIONS);
const ARRAY = new Set<string>(ARRAY_FUNCTIONS);
const PREDICATES = new Set([
  'and',
  'or',
  'not',
  'like',
  'between',
  'in',
  'isNull',
  ...COMPARISON,
  ...SPATIAL,
  ...TEMPORAL,
  ...ARRAY,
]);
const SCALAR_KINDS: readonly Cql2Kind[] = ['boolean', 'number', 'string', 'instant', 'any'];

/** Whether values of two kinds may be compared; a string compared with an instant is read as one (GDAL sends dates
 * as strings). */
function comparable(left: Cql2Kind, right: Cql2Kind): boolean {
  if (left === 'any' || right === 'any' || left === right) return true;
  return [left, right].includes('instant') && [left, right].includes('string');
}

/** The kind of each queryable, where known (`any` or undefined: unknown). */
export type Cql2PropertyKinds = (property: string) => Cql2Kind | undefined;

/** The kind of value `e` yields; properties are `any` unless `propertyKinds` knows them. */
export function kindOfExpression(e: Cql2Expression, propertyKinds?: Cql2PropertyKinds): Cql2Kind {
  if (typeof e === 'boolean') return 'boolean';
  if (typeof e === 'number') return 'number';
  if (typeof e === 'string') return 'string';
  if (Array.isArray(e)) return 'array';
  if (isProperty(e)) return propertyKinds?.(e.property) ?? 'any';
  if (isDate(e) || isTimestamp(e)) return 'instant';
  if (isInterval(e)) return 'interval';
  if (isBbox(e) || isGeometry(e)) return 'geometry';
  if (isOperation(e)) {
    const name = canonicalOperator(e.op);
    if (name === undefined) return 'any';
    if (PREDICATES.has(name)) return 'boolean';
    if (name === 'casei' || name === 'accenti') return 'string';
    if (ARITHMETIC.has(name)) return 'number';
  }
  return 'any';
}

function describeExpression(e: Cql2Expression, propertyKinds?: Cql2PropertyKinds): string {
  const kind = kindOfExpression(e, propertyKinds);
  if (isProperty(e)) return kind === 'any' ? `property "${e.property}"` : `${kind} property "${e.property}"`;
  if (isOperation(e)) return `${e.op}(…) (${kind})`;
  const text = JSON.stringify(e);
  return `${kind} ${text.length > 40 ? text.slice(0, 40) + '…' : text}`;
}

/**
 * Checks arity and operand kinds throughout `e`.
 * @param positions start offsets of operation nodes in CQL2-text, to name the position in messages.
 * @throws Cql2Error naming the operator, the argument and (for text) the position.
 */
export function validateCql2(
  e: Cql2Expression,
  positions?: WeakMap<object, number>,
  propertyKinds?: Cql2PropertyKinds,
): void {
  const kindOf = (node: Cql2Expression) => kindOfExpression(node, propertyKinds);
  const describe = (node: Cql2Expression) => describeExpression(node, propertyKinds);
  const fail = (node: Cql2Operation | undefined, message: string): never => {
    const position = node ? positions?.get(node) : undefined;
    throw new Cql2Error(position === undefined ? message : `${message} at position ${position}`, position);
  };
  const isBooleanOperand = (arg: Cql2Expression) =>
    kindOf(arg) === 'boolean' || (isOperation(arg) && canonicalOperator(arg.op) === undefined);

  const visit = (node: Cql2Expression): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (isInterval(node)) {
      for (const bound of node.interval) if (typeof bound !== 'string') visit(bound);
      return;
    }
    if (!isOperation(node)) return;
    const name = canonicalOperator(node.op);
    const args = node.args;
    const arity = (count: number) => {
      if (args.length !== count) {
        fail(node, `${node.op} takes ${count} argument${count === 1 ? '' : 's'}, got ${args.length}`);
      }
    };
    const expect = (index: number, kinds: readonly Cql2Kind[], what: string) => {
      const kind = kindOf(args[index]);
      if (!kinds.includes(kind) && kind !== 'any') {
        fail(node, `${node.op} expects ${what} as argument ${index + 1}, got ${describe(args[index])}`);
      }
    };
    if (name === undefined) {
      args.forEach(visit);
      return;
    }
    if (name === 'and' || name === 'or') {
      if (args.length < 2) fail(node, `${node.op} takes at least 2 arguments, got ${args.length}`);
      args.forEach((arg, index) => {
        if (!isBooleanOperand(arg)) {
          fail(
            node,
            `${node.op} expects a boolean expression as argument ${index + 1}, got ${describe(arg)}`,
          );
        }
      });
    } else if (name === 'not') {
      arity(1);
      if (!isBooleanOperand(args[0]))
        fail(node, `not expects a boolean expression, got ${describe(args[0])}`);
    } else if (COMPARISON.has(name)) {
      arity(2);
      expect(0, SCALAR_KINDS, 'a scalar value');
      expect(1, SCALAR_KINDS, 'a scalar value');
      const [left, right] = args.map(kindOf);
      if (!comparable(left, right)) {
        fail(node, `${node.op} compares ${describe(args[0])} with ${describe(args[1])}: the kinds differ`);
      }
    } else if (name === 'like') {
      arity(2);
      expect(0, ['string'], 'a character expression');
      let pattern = args[1];
      while (isOperation(pattern) && ['casei', 'accenti'].includes(canonicalOperator(pattern.op) ?? '')) {
        if (pattern.args.length !== 1)
          fail(pattern, `${pattern.op} takes 1 argument, got ${pattern.args.length}`);
        pattern = pattern.args[0];
      }
      if (typeof pattern !== 'string') {
        fail(node, `like expects a string pattern (optionally in CASEI/ACCENTI), got ${describe(pattern)}`);
      }
    } else if (name === 'between') {
      arity(3);
      for (let index = 0; index < 3; index++) expect(index, ['number'], 'a numeric expression');
    } else if (name === 'in') {
      arity(2);
      expect(0, SCALAR_KINDS, 'a scalar value');
      const list = args[1];
      if (!Array.isArray(list) || list.length === 0) fail(node, `in expects a non-empty list as argument 2`);
      for (const item of list as Cql2Expression[]) {
        if (!SCALAR_KINDS.includes(kindOf(item)))
          fail(node, `in list holds ${describe(item)}: expected scalar values`);
      }
      const operands = [args[0], ...(list as Cql2Expression[])];
      for (let first = 0; first < operands.length; first++) {
        for (let second = first + 1; second < operands.length; second++) {
          if (!comparable(kindOf(operands[first]), kindOf(operands[second]))) {
            fail(
              node,
              `in compares ${describe(operands[first])} with ${describe(operands[second])}: the kinds differ`,
            );
          }
        }
      }
    } else if (name === 'isNull') {
      arity(1);
    } else if (name === 'casei' || name === 'accenti') {
      arity(1);
      expect(0, ['string'], 'a character expression');
    } else if (SPATIAL.has(name)) {
      arity(2);
      expect(0, ['geometry'], 'a geometry');
      expect(1, ['geometry'], 'a geometry');
    } else if (TEMPORAL.has(name)) {
      arity(2);
      expect(0, ['instant', 'interval'], 'an instant or interval');
      expect(1, ['instant', 'interval'], 'an instant or interval');
    } else if (ARRAY.has(name)) {
      arity(2);
      expect(0, ['array'], 'an array');
      expect(1, ['array'], 'an array');
    } else if (ARITHMETIC.has(name)) {
      arity(2);
      expect(0, ['number'], 'a number');
      expect(1, ['number'], 'a number');
    }
    args.forEach(visit);
  };

  if (!isBooleanOperand(e)) {
    throw new Cql2Error(
      `A filter must be a boolean expression, got ${describe(e)}`,
      positions ? 0 : undefined,
    );
  }
  visit(e);
}

/**
 * Checks that each property is used where its kind fits: no LIKE on a number, no S_* on a string, no comparison of
 * a number property with a string, and so on. Run it after parsing, with the kinds the queryables declare, so that
 * such filters are a 400 instead of an SQL error or a silently empty result.
 * @param propertyKinds the kind of a queryable (`instant` for date/date-time strings, `geometry` for spatial ones);
 *   undefined or `any` where unknown.
 * @throws Cql2Error naming the operator, the argument and the property's kind.
 */
export function checkPropertyKinds(e: Cql2Expression, propertyKinds: Cql2PropertyKinds): void {
  validateCql2(e, undefined, propertyKinds);
}
