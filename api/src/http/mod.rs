//! Every HTTP endpoint besides GraphQL's own resolvers: `/graphql` and its socket, GraphiQL,
//! the downloads (CSV sheets, certificates, calendar feeds, reports), the unsubscribe page and
//! the headers every answer carries. Handlers read the request, ask one domain, and shape the
//! answer; the rules are the domains'.

pub mod attachment;
pub mod attendance_sheet;
pub mod calendar_feed;
pub mod certificate;
pub mod credentials;
pub mod errors;
pub mod graphiql;
pub mod graphql;
pub mod headers;
pub mod metrics;
pub mod payments_sheet;
pub mod photo;
pub mod programme;
pub mod report;
pub mod request_span;
pub mod sign_in_sheet;
pub mod socket;
pub mod survey_sheet;
pub mod training_file;
pub mod training_year;
pub mod unsubscribe;
