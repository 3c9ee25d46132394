pub mod approvals;
pub mod audit;
pub mod errors;
pub mod home;
pub mod sandbox;
pub mod sign_in;
pub mod staff;
pub mod users;
