"""feedback — 群众意见与提案: public opinions from intake to a rated answer, proposals, reports and conversion."""
