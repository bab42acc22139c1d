//! Points mall.
