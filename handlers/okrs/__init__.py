"""OKRs and check-ins: objectives, key results, their points, consent and cycles."""
