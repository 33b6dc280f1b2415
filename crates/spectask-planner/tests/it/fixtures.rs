//! Spec documents and model answers used by the tests.

pub const REQUIREMENTS: &str = "# Requirements Document

## Introduction

Add JWT authentication to the demo API so that only signed-in users can call protected endpoints.

## Glossary

- **Auth_Service**: the module that issues and verifies JSON Web Tokens
- **Api_Server**: the HTTP server of the demo application

## Requirements

### Requirement 1: Issue tokens

**User Story:** As a user, I want to sign in with my password, so that I receive a token for later requests.

#### Acceptance Criteria

1. WHEN a user posts valid credentials to /login, THE Auth_Service SHALL return a signed token that expires after 60 minutes
2. IF the posted credentials are invalid, THEN THE Auth_Service SHALL respond with status 401

### Requirement 2: Protect endpoints

**User Story:** As an operator, I want protected endpoints to require a token, so that anonymous callers cannot read data.

#### Acceptance Criteria

1. WHEN a request to a protected endpoint carries no valid token, THE Api_Server SHALL respond with status 401
2. THE Api_Server SHALL log every rejected token with the reason for the rejection
";

pub const DESIGN: &str = "# Design Document

## Overview

A login endpoint issues HS256 tokens; a middleware checks them on protected routes.

## Architecture

```mermaid
graph TD
  Client --> Login[/login]
  Client --> Middleware --> Handlers
```

## Components and Interfaces

- `auth::issue(user) -> Token` and `auth::verify(token) -> Claims` in `src/auth.rs`.

## Data Models

- `Claims { sub: String, exp: u64 }`.

## Error Handling

- Invalid credentials and invalid tokens answer 401 with a JSON error body.

## Testing Strategy

- Unit tests for signing and verification; HTTP tests for the login and a protected route.
";

pub const TASKS: &str = "# Implementation Plan

- [ ] 1. Token issuing
  - [ ] 1.1 Implement the login handler and token signing in `src/auth.rs`
    - _Requirements: 1.1, 1.2_
  - [ ] 1.2 Write tests for the login handler
    - _Requirements: 1.1, 1.2_
- [ ] 2. Endpoint protection
  - [ ] 2.1 Add the token check middleware with rejection logging
    - _Requirements: 2.1, 2.2_
    - _Depends: 1.1_
";

/// Like [`TASKS`], but task 2.1 cites a criterion that does not exist.
pub fn tasks_citing_unknown_criterion() -> String {
    TASKS.replace("_Requirements: 2.1, 2.2_", "_Requirements: 2.1, 2.2, 9.9_")
}

/// An answer in the asked-for delimiter format.
pub fn answer(requirements: &str, design: &str, tasks: &str) -> String {
    format!(
        "=== requirements.md ===\n{requirements}\n=== design.md ===\n{design}\n=== tasks.md ===\n{tasks}\n=== end ===\n"
    )
}

pub fn good_answer() -> String {
    answer(REQUIREMENTS, DESIGN, TASKS)
}
