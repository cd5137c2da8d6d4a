//! The routes, one handler per action, registered in one place so that the router and the
//! OpenAPI document cannot diverge.

pub mod audit;
pub mod auth;
pub mod dictionaries;
pub mod edits;
pub mod exports;
pub mod imports;
pub mod patients;
pub mod reports;
pub mod system;
pub mod tumors;
pub mod users;

use super::middleware::authenticate;
use actix_web::middleware::from_fn;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every route: `/health`, `/openapi.json` and the `/api/v1` scope, which passes
/// through [`authenticate`] (the one place authentication plugs in).
pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(system::check_health)
        .service(system::get_openapi)
        .service(
            scope::scope("/api/v1")
                .wrap(from_fn(authenticate))
                .service(auth::login)
                .service(auth::refresh_token)
                .service(auth::logout)
                .service(users::list_users)
                .service(users::create_user)
                .service(users::disable_user)
                .service(users::reset_user_password)
                .service(audit::search_audit)
                .service(dictionaries::list_dictionaries)
                .service(dictionaries::find_dictionary_item)
                .service(edits::list_edits)
                .service(edits::list_custom_edits)
                .service(edits::create_custom_edit)
                .service(edits::find_custom_edit)
                .service(edits::test_custom_edit)
                .service(edits::activate_custom_edit)
                .service(edits::retire_custom_edit)
                .service(edits::create_edit_run)
                .service(edits::list_edit_runs)
                .service(edits::find_edit_run)
                .service(edits::list_edit_run_failures)
                .service(patients::search_patients)
                .service(patients::create_patient)
                .service(patients::list_patients)
                .service(patients::find_patient)
                .service(patients::update_patient)
                .service(patients::delete_patient)
                .service(patients::list_patient_history)
                .service(patients::revert_patient)
                .service(patients::create_tumor)
                .service(patients::check_patient_edits)
                .service(tumors::list_tumors)
                .service(tumors::find_tumor)
                .service(tumors::update_tumor)
                .service(tumors::delete_tumor)
                .service(tumors::list_tumor_history)
                .service(tumors::revert_tumor)
                .service(reports::survival)
                .service(reports::incidence)
                .service(tumors::confirm_edit)
                .service(tumors::list_edit_confirmations)
                .service(tumors::withdraw_edit_confirmation)
                .service(imports::create_import)
                .service(imports::list_imports)
                .service(imports::find_import)
                .service(exports::create_export)
                .service(exports::list_exports)
                .service(exports::find_export)
                .service(exports::download_export),
        );
}
