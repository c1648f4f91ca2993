//! Flattening of the metadata tree into `key__map_x__list_0` names (dotenv and INI).
//! Placeholder until the stores land.
