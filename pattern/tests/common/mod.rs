pub mod jsexpr;
