//! Which scope each operation needs. One table serves both protocols: a REST operation
//! is named by its OpenAPI `operation_id`, which is the gRPC method's name, so a call
//! needs the same scope however it arrives. An operation missing here is refused (fail
//! closed), and the tests walk every route and method to prove none is.

use crate::auth::Scope;

/// Operations of the API itself rather than of a resource.
const META: &[(&str, Scope)] = &[("GetOpenApiDocument", Scope::Read)];

/// The scope `operation` needs, or `None` when it has no policy (refused).
pub fn required_scope(operation: &str) -> Option<Scope> {
    std::iter::once(META)
        .chain(crate::resources::policies().iter().copied())
        .flat_map(|table| table.iter())
        .find(|(name, _)| *name == operation)
        .map(|(_, scope)| *scope)
}

/// Every operation with a policy.
pub fn operations() -> Vec<&'static str> {
    std::iter::once(META)
        .chain(crate::resources::policies().iter().copied())
        .flat_map(|table| table.iter().map(|(name, _)| *name))
        .collect()
}
