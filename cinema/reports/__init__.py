"""Revenue, occupancy, user statistics, rollups, CSV, exports, charts and the admin dashboard.
"""
