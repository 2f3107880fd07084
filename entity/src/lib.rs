//! Klub's database entities. This crate knows nothing of GraphQL on purpose: the API maps
//! models to its own GraphQL objects, so no column (a password hash, a token) reaches the schema
//! unless someone writes it there.

pub mod activity;
pub mod activity_axis;
pub mod activity_trainer;
pub mod assessment;
pub mod assessment_answer;
pub mod assessment_score;
pub mod attendance;
pub mod audit_event;
pub mod certificate;
pub mod club_question;
pub mod club_vote;
pub mod diagnostic;
pub mod diagnostic_axis;
pub mod diagnostic_option;
pub mod diagnostic_question;
pub mod email_verification;
pub mod group;
pub mod group_digest;
pub mod group_member;
pub mod group_notification;
pub mod invitation;
pub mod login_throttle;
pub mod mail;
pub mod monthly_report;
pub mod organisation;
pub mod organisation_invitation;
pub mod organisation_member;
pub mod password_reset;
pub mod payment;
pub mod post;
pub mod registration;
pub mod reminder_delivery;
pub mod reminder_rule;
pub mod session;
pub mod setting;
pub mod sign_in;
pub mod slot_presence;
pub mod survey;
pub mod survey_answer;
pub mod survey_participation;
pub mod survey_question;
pub mod thread;
pub mod training_programme;
pub mod user;
