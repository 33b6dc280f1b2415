//! The samples: what each is, its demo prompt and workflow, and the scripted coder's work per plan
//! task (or, for a review, the branch it reviews).

use spectask_spec::Workflow;

use crate::{Change, ReviewBranch, Sample};

pub static SAMPLES: [Sample; 7] = [
    Sample {
        name: "nodejs-todo",
        description: "a small Express todo service",
        stack: "Node.js, Express",
        tests: Some("node --test test/"),
        prompt: "Add user authentication with JWT\n\n\
            Users register and log in with an email and a password; todo routes require a valid token.",
        workflow: Workflow::Feature,
        review_branch: None,
        changes: &[
            Change {
                plan_task: "1",
                files: &["src/auth/users.js", "test/users.test.js"],
                permission: None,
                summary: "Added src/auth/users.js: register and verify with scrypt hashes. Ran node --test: passing.",
            },
            Change {
                plan_task: "2",
                files: &["src/auth/tokens.js", "test/tokens.test.js"],
                permission: None,
                summary: "Added src/auth/tokens.js: one-hour HS256 tokens.",
            },
            Change {
                plan_task: "3",
                files: &["src/auth/routes.js", "src/auth/middleware.js", "src/server.js"],
                permission: Some("Run the tests: node --test"),
                summary: "Added the auth routes and the token middleware; /todos now requires a token.",
            },
        ],
    },
    Sample {
        name: "python-api",
        description: "a small FastAPI items service",
        stack: "Python, FastAPI",
        tests: Some("python3 -m unittest"),
        prompt: "Add pagination to the items list\n\n\
            GET /items takes limit, offset and sort, answers with the page and the total, and refuses a limit above 100.",
        workflow: Workflow::Feature,
        review_branch: None,
        changes: &[
            Change {
                plan_task: "1",
                files: &["app/pagination.py", "tests/test_pagination.py"],
                permission: None,
                summary: "Added app/pagination.py with its tests. Ran python3 -m unittest: passing.",
            },
            Change {
                plan_task: "2",
                files: &["app/store.py", "tests/test_store.py"],
                permission: None,
                summary: "Added ItemStore.list_sorted by id, name or price, with a test.",
            },
            Change {
                plan_task: "3",
                files: &["app/main.py"],
                permission: Some("Run the tests: python3 -m unittest"),
                summary: "GET /items now answers pages: limit, offset and sort, with the total.",
            },
        ],
    },
    Sample {
        name: "react-dashboard",
        description: "a small React orders dashboard",
        stack: "JavaScript, React, Vite",
        tests: Some("node --test test/"),
        prompt: "Add a date range filter to the dashboard\n\n\
            People pick the last 7, 30 or 90 days; the metrics and the orders table show only orders in that range.",
        workflow: Workflow::DesignFirst,
        review_branch: None,
        changes: &[
            Change {
                plan_task: "1",
                files: &["src/dateRange.js", "test/dateRange.test.js"],
                permission: None,
                summary: "Added src/dateRange.js with its tests. Ran node --test: passing.",
            },
            Change {
                plan_task: "2",
                files: &["src/RangePicker.jsx"],
                permission: None,
                summary: "Added the RangePicker component: one button per range, the chosen one pressed.",
            },
            Change {
                plan_task: "3",
                files: &["src/App.jsx"],
                permission: Some("Run the tests: node --test"),
                summary: "The dashboard filters its metrics and table by the chosen range (30 days at first).",
            },
        ],
    },
    Sample {
        name: "linkedin-outreach",
        description: "the outreach campaign of a product launch, as documents",
        stack: "Markdown (multi-session content)",
        tests: None,
        prompt: "Plan the outreach campaign for the beta launch\n\n\
            Research the audience, then draft a connection request and two follow-ups for each of the three \
            segments in parallel, then schedule the campaign.",
        workflow: Workflow::Feature,
        review_branch: None,
        changes: &[
            Change {
                plan_task: "1",
                files: &["audience.md"],
                permission: None,
                summary: "Wrote audience.md: three segments with their pain and proof.",
            },
            Change {
                plan_task: "2",
                files: &["messages/engineering-leaders.md"],
                permission: None,
                summary: "Wrote the messages for engineering leaders.",
            },
            Change {
                plan_task: "3",
                files: &["messages/product-managers.md"],
                permission: None,
                summary: "Wrote the messages for product managers.",
            },
            Change {
                plan_task: "4",
                files: &["messages/founders.md"],
                permission: None,
                summary: "Wrote the messages for founders.",
            },
            Change {
                plan_task: "5",
                files: &["schedule.md"],
                permission: None,
                summary: "Wrote schedule.md: three weeks, one step a week per segment.",
            },
        ],
    },
    Sample {
        name: "helix-blog-posts",
        description: "the engineering blog, as Markdown posts",
        stack: "Markdown (multi-session content)",
        tests: None,
        prompt: "Write a three-part blog series on spec-driven development\n\n\
            One outline, three posts written in parallel from it, and an editor's pass that makes them one series.",
        workflow: Workflow::Feature,
        review_branch: None,
        changes: &[
            Change {
                plan_task: "1",
                files: &["posts/spec-driven/outline.md"],
                permission: None,
                summary: "Wrote the outline: one idea per part.",
            },
            Change {
                plan_task: "2",
                files: &["posts/spec-driven/part-1-requirements.md"],
                permission: None,
                summary: "Wrote part 1 on EARS requirements.",
            },
            Change {
                plan_task: "3",
                files: &["posts/spec-driven/part-2-plans.md"],
                permission: None,
                summary: "Wrote part 2 on plans that run in parallel.",
            },
            Change {
                plan_task: "4",
                files: &["posts/spec-driven/part-3-review.md"],
                permission: None,
                summary: "Wrote part 3 on reviewing what agents did.",
            },
            Change {
                plan_task: "5",
                files: &["posts/spec-driven/index.md"],
                permission: None,
                summary: "Edited the series and wrote its index.",
            },
        ],
    },
    Sample {
        name: "python-invoices",
        description: "invoice totals in cents, with a bug",
        stack: "Python (a bugfix)",
        tests: Some("python3 -m unittest"),
        prompt: "Fix discounts that drop the cents\n\n\
            An invoice of 19.99 at 10% off comes to 18.09 instead of 18.00: the discount ignores the subtotal's cents.",
        workflow: Workflow::Bugfix,
        review_branch: None,
        changes: &[
            Change {
                plan_task: "1",
                files: &["tests/test_discount_rounding.py"],
                permission: None,
                summary: "Added tests/test_discount_rounding.py. Ran python3 -m unittest: it fails on the current \
                    code (18.09, not 18.00), which reproduces the bug.",
            },
            Change {
                plan_task: "2",
                files: &["app/invoice.py"],
                permission: None,
                summary: "total now multiplies by the percentage before dividing. Ran python3 -m unittest: passing.",
            },
        ],
    },
    Sample {
        name: "python-refunds",
        description: "refunds of paid orders, with a branch to review",
        stack: "Python (a review)",
        tests: Some("python3 -m unittest"),
        prompt: "Review the partial refunds branch\n\n\
            Can a customer get back more than they paid, or be charged by a refund?",
        workflow: Workflow::Review,
        review_branch: Some(ReviewBranch {
            name: "feature/partial-refunds",
            message: "Refund orders in parts",
            files: &["app/refund.py", "tests/test_refund_part.py"],
        }),
        changes: &[],
    },
];
