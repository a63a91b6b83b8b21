// Public surface of server/ngsi-ld: the embedded broker module and the pieces other subsystems reuse.
export { createNgsiLdBrokerModule, NGSI_LD_BASE_PATH, type NgsiLdBrokerOptions } from './broker/module';
export { ContextResolver, NgsiLdContext, parseContextLink, type ContextResolverOptions } from './context';
export { CORE_CONTEXT_DOCUMENT, CORE_CONTEXT_URL, isCoreContextUrl } from './core-context';
export { parseQuery, evaluateQuery, type QueryNode, type QueryPath, type QueryValue } from './query-language';
export { ngsiLdError, errorTypeUri, type NgsiLdErrorType } from './errors';
