// Package config holds the typed configuration of a dinhdanh node. The doc comments of Config and of its
// section types are the reference: each field states what it means, what values it accepts and its default.
// dinhdanh.example.yaml (also returned by Example) lists every key with its default, in the same order.
//
// # Layers
//
// Load builds a Config in three layers, each replacing only the settings it names:
//
//  1. the defaults of Default;
//  2. the YAML file, if any, decoded over them: a key that is absent keeps its default, a key that is present
//     replaces it even with a zero value (false, 0, ""), so "allow_registration: false" means what it says;
//     an unknown key is an error;
//  3. the environment: DINHDANH_ followed by the dotted YAML path in upper case with dots turned into
//     underscores, so tokens.access_token_lifespan is DINHDANH_TOKENS_ACCESS_TOKEN_LIFESPAN and
//     brute_force.account_max_failures is DINHDANH_BRUTE_FORCE_ACCOUNT_MAX_FAILURES. Values are written as in
//     YAML: durations as Go duration text ("15m"), booleans as true or false, numbers in decimal. An unknown
//     DINHDANH_ variable is an error, except DINHDANH_CONFIG (EnvConfigFile), which the command line may use
//     to name the file.
//
// Settings derived from others are left empty and resolved by methods, so that they follow the setting they
// depend on: Config.DatabasePath and Config.SealKeyPath place files in DataDir unless told otherwise, and
// Config.SecureCookie follows the issuer's scheme unless told otherwise.
//
// # Validation
//
// Load only parses. Config.Validate then checks every setting against its documented rules and the security
// baseline (argon2id minimums, https issuer, positive lifetimes) and returns every problem together in a
// *ValidationError, each named by its dotted YAML path, so that an operator fixes a file in one pass.
package config
