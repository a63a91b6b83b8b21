// The `filter` parameter (OGC API Features Part 3) on top of server/cql2: parse CQL2 text or JSON (and GDAL's
// `cql-text`), check properties against the queryables, evaluate in memory; providers may push the AST down.
import { ApiError } from '../http/errors';
import {
  Cql2Error,
  checkPropertyKinds,
  evaluateCql2,
  functionsOf,
  parseCql2,
  propertiesOf,
  type Cql2Expression,
  type Cql2Kind,
} from '../cql2';
import type { FeaturePredicate, ProviderDescription } from '../providers/provider';
import { CRS84 } from './crs';
import { invalidParameter } from './parameters';
import type { FilterEngine } from './service';

/** The name filters use for the feature geometry. */
export const GEOMETRY_QUERYABLE = 'geometry';

function predicateOf(expression: Cql2Expression): FeaturePredicate {
  return {
    expression,
    evaluate(feature) {
      try {
        return evaluateCql2(expression, feature);
      } catch (error) {
        if (error instanceof Cql2Error) throw invalidParameter('filter', error.message);
        throw error;
      }
    },
  };
}

/** The CQL2 filter engine the OGC API uses. */
export function createCql2FilterEngine(): FilterEngine {
  return {
    createPredicate(
      filter: string,
      language: string,
      filterCrs: string | undefined,
      description: ProviderDescription,
    ) {
      if (filterCrs !== undefined && filterCrs !== CRS84 && filterCrs !== CRS84.replace('http:', 'https:')) {
        throw invalidParameter(
          'filter-crs',
          `'${filterCrs}' is not supported; filter geometries are read in ${CRS84}`,
        );
      }
      if (filter.trim() === '') throw invalidParameter('filter', 'is empty');
      let expression: Cql2Expression;
      try {
        expression = parseCql2(filter, language);
      } catch (error) {
        if (error instanceof Cql2Error) throw invalidParameter('filter', error.message);
        throw error;
      }
      const functions = functionsOf(expression);
      if (functions.length)
        throw invalidParameter(
          'filter',
          `unknown function ${functions.map((name) => `'${name}'`).join(', ')}`,
        );
      for (const property of propertiesOf(expression)) {
        if (property !== GEOMETRY_QUERYABLE && property !== 'id' && !(property in description.properties)) {
          throw new ApiError(
            400,
            `invalid value for parameter 'filter': '${property}' is not a queryable of this collection`,
            {
              code: 'InvalidParameterValue',
              extensions: { parameter: 'filter' },
            },
          );
        }
      }
      // A LIKE on a number or a spatial function on a string would fail inside a database as a 500; say so as a 400.
      try {
        checkPropertyKinds(expression, (property): Cql2Kind | undefined => {
          if (property === GEOMETRY_QUERYABLE) return 'geometry';
          const queryable = description.properties[property];
          if (!queryable) return undefined;
          // Dates arrive as strings from GDAL and others; leave their checking to the comparison itself.
          if (queryable.format) return 'any';
          return queryable.type === 'integer' ? 'number' : queryable.type;
        });
      } catch (error) {
        if (error instanceof Cql2Error) throw invalidParameter('filter', error.message);
        throw error;
      }
      return predicateOf(expression);
    },
    combine(predicates: FeaturePredicate[]): FeaturePredicate {
      return predicateOf({
        op: 'and',
        args: predicates.map((predicate) => predicate.expression as Cql2Expression),
      });
    },
  };
}
