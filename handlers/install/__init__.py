"""Install and set-up: the playbook, the OAuth install, and a workspace's life."""
