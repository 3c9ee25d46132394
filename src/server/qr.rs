//! QR codes for the pages (a hosted KYC link, an authenticator enrolment), drawn on the server as SVG.

use qrcode::render::svg;

use crate::domain::AppError;

pub fn svg(text: &str) -> Result<String, AppError> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(super::error::internal)?;
    Ok(code
        .render::<svg::Color>()
        .min_dimensions(168, 168)
        .quiet_zone(true)
        .build())
}
